// CO-RE through loadCollection on the real kernel. A relocation that cannot be satisfied is poisoned as libbpf does:
// in dead code the program still loads; where the verifier reaches it the load fails with a VerifierError naming
// the relocation (kind, type, access string, C line) over libbpf's rewritten log. The trace and the applied
// relocations are available from the API. Oracles: bpftool -d (libbpf 1.1's debug log) and the libbpf C harness.
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BtfBuilder, describeRelocation } from "@bpfkit/btf";
import { loadCollection, VerifierError } from "@bpfkit/kernel";
import { beforeAll, expect, it } from "vitest";
import { bpftoolCoreLog } from "./core-support.js";
import { describeWith, usePinRoot, useTempDir } from "./support/env.js";
import { caught, lineOf, openFds } from "./support/failures.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const CORE_KERNEL = fixture("core_kernel.bpf.o");
const CORE_TASK = fixture("core_task.bpf.o");
const CORE_SUBPROGS = fixture("core_subprogs.bpf.o");
const CORE_HARNESS = fileURLToPath(new URL("../bench/c/core_harness.c", import.meta.url));

/** A custom CO-RE target whose task_struct has no `tgid`: core_subprogs' reads of it in .text get poisoned. */
function taskStructWithoutTgid(dir: string): string {
  const b = new BtfBuilder();
  const int = b.addInt("int", 4, 1);
  const task = b.addPtr(b.addFwd("task_struct"));
  b.addStruct("task_struct", 16, [
    { name: "pid", type: int, bitOffset: 0 },
    { name: "real_parent", type: task, bitOffset: 64 },
  ]);
  const path = join(dir, "task_struct_without_tgid.btf");
  writeFileSync(path, b.encode());
  return path;
}

/** libbpf's log of a failed program load, between its BEGIN/END PROG LOAD LOG markers. */
function libbpfLoadLog(output: string, program: string): string {
  const begin = `libbpf: prog '${program}': -- BEGIN PROG LOAD LOG --\n`;
  const start = output.indexOf(begin);
  expect(start, `no load log for ${program} in:\n${output}`).toBeGreaterThanOrEqual(0);
  const body = output.slice(start + begin.length);
  return body.slice(0, body.indexOf("-- END PROG LOAD LOG --"));
}

/** Verification time differs from run to run. */
const maskTime = (log: string) => log.replace(/verification time \d+ usec/, "verification time N usec").trimEnd();

describeWith(["root", "bpffs", "vmlinux-btf"], "loadCollection: poisoned CO-RE relocations", () => {
  const scratch = useTempDir("bpfkit-api-core-");

  it("reached: the VerifierError names the relocation kind, type + access string and C line; nothing leaks", () => {
    const before = openFds();
    const error = caught(() => loadCollection(CORE_KERNEL));
    expect(error).toBeInstanceOf(VerifierError);
    const v = error as VerifierError;
    expect(v.code).toBe("EINVAL");
    const line = lineOf("core_kernel.bpf.c", "return skb->len > 10;");
    expect(v.message).toMatch(
      new RegExp(
        "^prog 'err_memsz': BPF_PROG_LOAD .* failed: EINVAL: failed to resolve CO-RE relocation " +
          "<byte_off> \\[\\d+\\] struct __sk_buff___signed\\.len \\(0:0 @ offset 0\\) \\(relo #4 in 'tc'\\): " +
          "the instruction cannot be adjusted to the target's <byte_off> \\[\\d+\\] struct __sk_buff\\.len " +
          "\\(0:0 @ offset 0\\); the verifier reached the poisoned instruction at insn 0 " +
          `\\[\\./core_kernel\\.bpf\\.c:${line}:\\d+: return skb->len > 10;\\]$`,
      ),
    );
    expect(v.coreRelocation).toMatchObject({ insnIndex: 0, kindName: "byte_off", poisoned: true, section: "tc" });
    expect(v.insnIndex).toBe(0);
    expect(v.sourceLine?.line).toBe(line);
    // libbpf's rewrite in the log; the kernel's words kept in rawLog
    expect(v.fullLog).toContain(
      `0: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation ${v.coreRelocation!.localSpec}\n`,
    );
    expect(v.fullLog).not.toContain("unknown#195896080");
    expect(v.rawLog.join("\n")).toContain("0: (85) call unknown#195896080\ninvalid func unknown#195896080");
    expect(openFds()).toBe(before);
  });

  it("reached in an appended subprogram: the index is the final program's, the subprogram is named", () => {
    const before = openFds();
    const error = caught(() =>
      loadCollection(CORE_SUBPROGS, { btfCustomPath: taskStructWithoutTgid(scratch()), programs: ["sub_two"] }),
    );
    expect(error).toBeInstanceOf(VerifierError);
    const v = error as VerifierError;
    expect(v.coreRelocation).toMatchObject({
      kindName: "byte_off",
      subprogram: "static_tgid",
      section: ".text",
      targetSpec: undefined,
      poisoned: true,
    });
    expect(v.coreRelocation!.localSpec).toMatch(
      /^<byte_off> \[\d+\] struct task_struct___sub\.tgid \(0:1 @ offset 4\)$/,
    );
    expect(v.insnIndex).toBe(v.coreRelocation!.insnIndex);
    expect(v.insnIndex).toBeGreaterThan(10); // past sub_two's own instructions
    expect(v.message).toMatch(/^prog 'sub_two': .*\(relo #\d+ in '\.text', subprogram static_tgid\): nothing in the/);
    expect(v.message).toContain("core_subprogs.bpf.c:");
    expect(v.fullLog).toContain(`${v.insnIndex}: <invalid CO-RE relocation>\n`);
    expect(openFds()).toBe(before);
  });

  it("in dead code: the program loads, and the poisoned relocation is reported", () => {
    const trace: string[] = [];
    using c = loadCollection(CORE_TASK, { onCoreTrace: (line) => trace.push(line) });
    expect([...c.programs.keys()]).toEqual(["core_task"]);
    const poisoned = c.coreRelocations.filter((r) => r.poisoned);
    expect(poisoned.length).toBeGreaterThan(0);
    expect(poisoned.map((r) => r.localSpec).join("\n")).toContain("field_that_does_not_exist");
    for (const r of poisoned) {
      expect(trace).toContain(
        `prog '${r.program}': relo #${r.reloIndex}: substituting insn #${r.insnIndex} w/ invalid insn`,
      );
    }
    // what a `-d` printout would show per relocation
    expect(describeRelocation(poisoned[0]!)).toMatch(/field_that_does_not_exist .*=> no match: poisoned$/);
  });
});

describeWith(["bpftool", "root", "bpffs", "vmlinux-btf"], "loadCollection CO-RE vs bpftool -d (libbpf 1.1)", () => {
  const pinRoot = usePinRoot();

  for (const name of ["core_task.bpf.o", "core_kernel.bpf.o", "core_subprogs.bpf.o"]) {
    it(`${name}: onCoreTrace gives libbpf's CO-RE debug lines; coreRelocations one per relocation`, () => {
      const path = fixture(name);
      const trace: string[] = [];
      let relocations = 0;
      try {
        using c = loadCollection(path, { onCoreTrace: (line) => trace.push(line) });
        relocations = c.coreRelocations.length;
      } catch (error) {
        // core_kernel's err_memsz fails to load after every relocation was traced
        expect(name).toBe("core_kernel.bpf.o");
        expect(error).toBeInstanceOf(VerifierError);
        relocations = -1;
      }
      const theirs = bpftoolCoreLog(path, join(pinRoot(), "libbpf"));
      expect(theirs.lines.length).toBeGreaterThan(10);
      expect(trace).toEqual(theirs.lines);
      if (relocations >= 0) expect(relocations).toBe(theirs.lines.filter((l) => /: relo #\d+: <.*/.test(l)).length);
    });
  }

  it("err_memsz: our rewritten verifier log equals libbpf's (same log level, bpftool -d)", () => {
    const error = caught(() => loadCollection(CORE_KERNEL, { logLevel: 1 | 2 | 4 })) as VerifierError;
    expect(error).toBeInstanceOf(VerifierError);
    const theirs = bpftoolCoreLog(CORE_KERNEL, join(pinRoot(), "libbpf"));
    expect(theirs.ok).toBe(false);
    const libbpf = libbpfLoadLog(theirs.output, "err_memsz");
    expect(libbpf).toContain("<invalid CO-RE relocation>");
    expect(maskTime(error.fullLog)).toBe(maskTime(libbpf));
  });
});

describeWith(["libbpf-dev", "root", "vmlinux-btf"], "loadCollection CO-RE vs libbpf 1.1 (C harness)", () => {
  const scratch = useTempDir("bpfkit-api-core-");
  let harness = "";
  beforeAll(() => {
    harness = join(scratch(), "core_harness_api");
    execFileSync("cc", ["-O2", CORE_HARNESS, "-lbpf", "-o", harness]);
  });

  it("a poisoned relocation reached in a subprogram (btf_custom_path): same rewritten log as libbpf", () => {
    const target = taskStructWithoutTgid(scratch());
    const error = caught(() => loadCollection(CORE_SUBPROGS, { btfCustomPath: target, programs: ["sub_two"] }));
    expect(error).toBeInstanceOf(VerifierError);
    const run = spawnSync(harness, ["insns", CORE_SUBPROGS, target, "sub_two"], { encoding: "utf8" });
    expect(JSON.parse(run.stdout).ok).toBe(false);
    const libbpf = libbpfLoadLog(run.stderr, "sub_two");
    expect(libbpf).toContain("failed to resolve CO-RE relocation <byte_off>");
    expect(maskTime((error as VerifierError).fullLog)).toBe(maskTime(libbpf));
  });
});
