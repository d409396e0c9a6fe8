import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { failingInsnIndex, sourceLineFor, splitLog, summarizeLog, VerifierError } from "./verifier-error.js";

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

  it("maps an instruction to the line_info entry that covers it", () => {
    const lines = [
      { insnIndex: 0, line: 1, column: 0 },
      { insnIndex: 4, line: 9, column: 0 },
      { insnIndex: 2, line: 5, column: 0 },
    ];
    expect(sourceLineFor(lines, 3)?.line).toBe(5);
    expect(sourceLineFor(lines, 4)?.line).toBe(9);
    expect(sourceLineFor(lines, 0)?.line).toBe(1);
    expect(sourceLineFor(undefined, 3)).toBeUndefined();
    expect(sourceLineFor(lines, undefined)).toBeUndefined();
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

  it("never throws on arbitrary log text", () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (log) => {
        const e = new VerifierError({ command: "BPF_PROG_LOAD", errno: 22, code: "EINVAL", log });
        return typeof e.message === "string";
      }),
    );
  });
});
