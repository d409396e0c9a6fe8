// `bpftool perf show|list`: ours against bpftool 7.1.0. This process attaches a raw tracepoint program (a
// do-nothing program on sched_process_free) and holds the descriptor, so both find it when they walk every
// process's descriptors; entries of other processes may come and go between the two runs, so only ours compare.
import { encodeInstructions, exit, mov64Imm, ProgType, R0 } from "@bpfkit/asm";
import { KernelBackend, loadCollection } from "@bpfkit/kernel";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fixturePath } from "./loader-support.js";
import { jsonOf, ours, oursProcess, theirs } from "./support/bpftool.js";
import { describeWith } from "./support/env.js";

describeWith(["root", "bpftool"], "bpftool perf vs bpftool 7.1.0", () => {
  let backend: KernelBackend;
  let fd: number;
  let progId: number;
  beforeAll(() => {
    backend = new KernelBackend();
    const prog = backend.loadProgram({
      progType: ProgType.RAW_TRACEPOINT,
      insns: encodeInstructions([mov64Imm(R0, 0), exit()], "little"),
      license: "GPL",
      name: "perf_raw_tp",
    }).fd;
    progId = backend.progInfo(prog).id;
    fd = backend.rawTracepointOpen(prog, "sched_process_free").value;
  });
  afterAll(() => backend?.close());

  const mineJson = (stdout: string) =>
    (jsonOf({ stdout, stderr: "", status: 0 }) as { pid: number }[]).filter((e) => e.pid === process.pid);
  const minePlain = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith(`pid ${process.pid} `));

  it("finds this process's raw tracepoint descriptor, as bpftool does", async () => {
    for (const cmd of ["show", "list"]) {
      const [a, b] = [await ours(["-j", "perf", cmd]), theirs(["-j", "perf", cmd])];
      expect([a.status, a.stderr]).toEqual([b.status, b.stderr]);
      expect(mineJson(a.stdout)).toEqual(mineJson(b.stdout));
      expect(mineJson(a.stdout)).toEqual([
        { pid: process.pid, fd, prog_id: progId, fd_type: "raw_tracepoint", tracepoint: "sched_process_free" },
      ]);
      const [pa, pb] = [await ours(["perf", cmd]), theirs(["perf", cmd])];
      expect(minePlain(pa.stdout)).toEqual(minePlain(pb.stdout));
      expect(minePlain(pa.stdout)).toEqual([
        `pid ${process.pid}  fd ${fd}: prog_id ${progId}  raw_tracepoint  sched_process_free`,
      ]);
      const [ja, jb] = [await ours(["-p", "perf", cmd]), theirs(["-p", "perf", cmd])];
      expect(mineJson(ja.stdout)).toEqual(mineJson(jb.stdout));
    }
  });

  it("lists the perf event behind a tracepoint Link as bpftool does", async () => {
    using c = loadCollection(fixturePath("attach"), { programs: ["on_getppid"] });
    using _link = c.program("on_getppid").attach({ tracepoint: "syscalls/sys_enter_getppid" });
    const progId = c.program("on_getppid").info().id;
    const [a, b] = [await ours(["-j", "perf", "show"]), theirs(["-j", "perf", "show"])];
    const tracepoints = (stdout: string) =>
      mineJson(stdout).filter((e) => (e as unknown as { prog_id: number }).prog_id === progId);
    expect(tracepoints(a.stdout)).toEqual(tracepoints(b.stdout));
    expect(tracepoints(a.stdout)).toEqual([
      expect.objectContaining({ fd_type: "tracepoint", tracepoint: "sys_enter_getppid" }),
    ]);
  });

  it("help (on stderr even with -j) and unknown commands", async () => {
    for (const args of [
      ["perf", "help"],
      ["-j", "perf", "help"],
      ["perf", "bogus"],
      ["-j", "perf", "bogus"],
    ]) {
      expect(await ours(args)).toEqual(theirs(args));
    }
    expect(oursProcess(["perf", "bogus"])).toEqual(theirs(["perf", "bogus"]));
  });
});
