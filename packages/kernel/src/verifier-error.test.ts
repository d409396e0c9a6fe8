import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { failingInsnIndex, splitLog, summarizeLog, VerifierError } from "./verifier-error.js";

// Shape of a real 6.x log for a program reading through a scalar (see test/kernel-programs.test.ts).
const LOG = [
  "func#0 @0",
  "0: R1=ctx() R10=fp0",
  "0: (b7) r1 = 1                        ; R1_w=1",
  "1: (b7) r2 = 2                        ; R2_w=2",
  "2: (79) r0 = *(u64 *)(r2 +0)",
  "R2 invalid mem access 'scalar'",
  "processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
];

describe("verifier log parsing", () => {
  it("splits a NUL-terminated buffer and drops trailing blank lines", () => {
    const bytes = new TextEncoder().encode("a\nb\n\n\0garbage after NUL");
    expect(splitLog(bytes)).toEqual(["a", "b"]);
    expect(splitLog(new Uint8Array(8))).toEqual([]);
  });

  it("finds the failing instruction as the last instruction line", () => {
    expect(failingInsnIndex(LOG)).toBe(2);
    expect(failingInsnIndex(["no instructions here"])).toBeUndefined();
    // State lines ("0: R1=ctx()") are not instruction lines.
    expect(failingInsnIndex(["7: R1=ctx() R10=fp0"])).toBeUndefined();
  });

  it("summarizes with the last informative lines, skipping statistics", () => {
    expect(summarizeLog(LOG)).toEqual({
      lines: ["2: (79) r0 = *(u64 *)(r2 +0)", "R2 invalid mem access 'scalar'"],
      omitted: 5,
    });
    expect(summarizeLog([])).toEqual({ lines: [], omitted: 0 });
  });
});

describe("VerifierError", () => {
  it("builds a summary with the cause, omitted count, insn and source line; keeps the whole log", () => {
    const e = new VerifierError({
      command: "BPF_PROG_LOAD",
      errno: 13,
      code: "EACCES",
      objectName: "xdp_prog",
      log: LOG,
      sourceLines: [{ insnIndex: 2, file: "prog.c", line: 12, column: 5, text: "  return *p;" }],
    });
    expect(e.name).toBe("VerifierError");
    expect(e.message).toBe(
      "BPF_PROG_LOAD (\"xdp_prog\") failed: EACCES: 2: (79) r0 = *(u64 *)(r2 +0) / R2 invalid mem access 'scalar' " +
        "(5 lines omitted) at insn 2 [prog.c:12:5: return *p;]",
    );
    expect(e.log).toBe(LOG);
    expect(e.fullLog.split("\n")).toHaveLength(LOG.length);
    expect(e.insnIndex).toBe(2);
    expect(e.sourceLine?.line).toBe(12);
    expect(e.truncated).toBe(false);
  });

  it("says so when the log was truncated or empty", () => {
    const e = new VerifierError({ command: "BPF_BTF_LOAD", errno: 28, code: "ENOSPC", log: [], truncated: true });
    expect(e.message).toContain("no verifier log");
    expect(e.message).toContain("(log truncated)");
  });

  // The shape of 6.x's log for a program whose first instruction is a poisoned CO-RE relocation (err_memsz in
  // test/fixtures/core_kernel.bpf.c; the same load against the kernel is in test/api-core.test.ts).
  const POISONED = [
    "0: R1=ctx() R10=fp0",
    "; return skb->len > 10; @ core_kernel.bpf.c:104",
    "0: (85) call unknown#195896080",
    "invalid func unknown#195896080",
    "processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
  ];
  const RELOCATION = {
    insnIndex: 0,
    localSpec: "<byte_off> [354] struct __sk_buff___signed.len (0:0 @ offset 0)",
    kindName: "byte_off",
    targetSpec: "<byte_off> [13808] struct __sk_buff.len (0:0 @ offset 0)",
    section: "tc",
    reloIndex: 4,
    subprogram: undefined,
    poisoned: true,
  };

  it("a reached poisoned CO-RE relocation: libbpf's log lines, and a summary naming the relocation and C line", () => {
    const e = new VerifierError({
      command: "BPF_PROG_LOAD",
      errno: 22,
      code: "EINVAL",
      objectName: "err_memsz",
      log: POISONED,
      sourceLines: [{ insnIndex: 0, file: "core_kernel.bpf.c", line: 104, column: 14, text: "return skb->len > 10;" }],
      coreRelocations: [{ ...RELOCATION, insnIndex: 3, poisoned: false }, RELOCATION],
    });
    expect(e.message).toBe(
      'BPF_PROG_LOAD ("err_memsz") failed: EINVAL: failed to resolve CO-RE relocation <byte_off> [354] ' +
        "struct __sk_buff___signed.len (0:0 @ offset 0) (relo #4 in 'tc'): the instruction cannot be adjusted to " +
        "the target's <byte_off> [13808] struct __sk_buff.len (0:0 @ offset 0); the verifier reached the poisoned " +
        "instruction at insn 0 [core_kernel.bpf.c:104:14: return skb->len > 10;]",
    );
    expect(e.log).toEqual([
      ...POISONED.slice(0, 2),
      "0: <invalid CO-RE relocation>",
      "failed to resolve CO-RE relocation <byte_off> [354] struct __sk_buff___signed.len (0:0 @ offset 0)",
      POISONED[4],
    ]);
    expect(e.rawLog).toBe(POISONED);
    expect(e.coreRelocation).toBe(RELOCATION);
    expect(e.insnIndex).toBe(0);
    expect(e.sourceLine?.line).toBe(104);
  });

  it("without line_info the verifier's own annotation gives the C line; unmatched logs stay as they are", () => {
    const e = new VerifierError({
      command: "BPF_PROG_LOAD",
      errno: 22,
      code: "EINVAL",
      log: POISONED,
      coreRelocations: [{ ...RELOCATION, targetSpec: undefined, subprogram: "helper", insnIndex: 0 }],
    });
    expect(e.message).toContain(
      "(relo #4 in 'tc', subprogram helper): nothing in the target BTF matches it; the verifier reached the poisoned " +
        "instruction at insn 0 [core_kernel.bpf.c:104: return skb->len > 10;]",
    );
    // No relocation at the poisoned instruction, or a different failure: the kernel's log and usual summary.
    for (const log of [POISONED, LOG]) {
      const plain = new VerifierError({
        command: "BPF_PROG_LOAD",
        errno: 22,
        code: "EINVAL",
        log,
        coreRelocations: [{ ...RELOCATION, insnIndex: 7 }],
      });
      expect(plain.log).toBe(log);
      expect(plain.coreRelocation).toBeUndefined();
      expect(plain.message).not.toContain("CO-RE");
    }
  });

  it("never throws on arbitrary log text", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom(...POISONED, "1: (85) call unknown#195896080"))),
        (log) => {
          const e = new VerifierError({
            command: "BPF_PROG_LOAD",
            errno: 22,
            code: "EINVAL",
            log,
            coreRelocations: [{ ...RELOCATION, insnIndex: 1 }],
          });
          return typeof e.message === "string";
        },
      ),
    );
  });
});
