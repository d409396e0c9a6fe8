// uprobes and USDT in the kernel, on the target test/uprobe-target.c the suite builds (test/support/uprobe-target.ts)
// and runs as child processes after attaching test/fixtures/uprobe.bpf.c's programs: function probes by name in a
// PIE, a non-PIE, a PIE at another base and a shared library, return probes, pid narrowing, USDT arguments of two
// call sites read by libbpf's usdt.bpf.h, a USDT semaphore the kernel raises, auto-attach from SEC() names, path
// resolution and the errors. libbpf is the oracle (test/uprobe-oracle.c): it attaches the same programs to the same
// binaries, and its perf links (file offsets, BPF cookies, semaphore offsets) and USDT specs must equal ours.

import { execFileSync, spawn } from "node:child_process";
import { join, relative } from "node:path";
import {
  AttachError,
  attachByPlan,
  type Collection,
  KernelBackend,
  type Link,
  loadCollection,
  openLinkCount,
  resolveBinaryPath,
} from "@bpfkit/kernel";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fixturePath } from "./loader-support.js";
import { describeWith, itWith, useTempDir } from "./support/env.js";
import { buildUprobeTargets, type UprobeTargets } from "./support/uprobe-target.js";

const HIT = { WORK: 0, WORK_RET: 1, SUM_WORK_RET: 2, LIB: 3, TICK: 4, GATED: 5, LIB_TICK: 6, SUM_LIB_TICK: 7 };

function load(programs: string[]): Collection {
  return loadCollection(fixturePath("uprobe"), { programs });
}

function hits(c: Collection, ...slots: number[]): bigint[] {
  return slots.map((slot) => c.map("hits").get(slot) as bigint);
}

interface Started {
  readonly pid: number;
  /** Lets the target run its rounds; resolves with its last line ("sum S lib L gated G"). */
  go(): Promise<string>;
}

/** Starts the target with `rounds` rounds; it waits (after printing "ready") until `go()`. */
function start(binary: string, rounds: number): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [String(rounds)], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    let ready = false;
    const exited = new Promise<string>((done, fail) => {
      child.on("exit", (code) =>
        code === 0 ? done(out.trim().split("\n").at(-1) ?? "") : fail(new Error(`${binary} exited ${code}: ${out}`)),
      );
    });
    child.on("error", reject);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (!ready && out.startsWith("ready\n")) {
        ready = true;
        resolve({
          pid: child.pid!,
          go: () => {
            child.stdin.end("go\n");
            return exited;
          },
        });
      }
    });
  });
}

async function run(binary: string, rounds: number): Promise<string> {
  return (await start(binary, rounds)).go();
}

/** What the target prints for `rounds` rounds with the semaphore raised `gated` times. */
function summary(rounds: number, gated = 0): string {
  let sum = 0;
  let lib = 0;
  for (let i = 0; i < rounds; i++) {
    sum += 2 * i + 1;
    lib += i + 100;
  }
  return `sum ${sum} lib ${lib} gated ${gated}`;
}

interface PerfLink {
  readonly prog: string;
  /** BPF_PERF_EVENT_UPROBE (1) or BPF_PERF_EVENT_URETPROBE (2). */
  readonly type: number;
  readonly offset: number;
  readonly cookie: bigint;
  readonly refCtrOffset: bigint;
}

/** Every perf link of the system running one of `progs` (id → name), as bpf_link_info.perf_event.uprobe says. */
function perfLinks(backend: KernelBackend, progs: ReadonlyMap<number, string>): PerfLink[] {
  const out: PerfLink[] = [];
  for (let id = backend.nextId("link", 0); id !== null; id = backend.nextId("link", id)) {
    let fd: ReturnType<KernelBackend["fdById"]>;
    try {
      fd = backend.fdById("link", id);
    } catch {
      continue; // gone meanwhile
    }
    try {
      const info = backend.linkInfo(fd);
      const prog = progs.get(info.progId);
      if (prog === undefined) continue;
      const d = new DataView(info.details.buffer, info.details.byteOffset, info.details.byteLength);
      out.push({
        prog,
        type: d.getUint32(0, true),
        offset: d.getUint32(20, true),
        cookie: d.getBigUint64(24, true),
        refCtrOffset: d.getBigUint64(32, true),
      });
    } finally {
      fd.close();
    }
  }
  return out.sort((a, b) => a.prog.localeCompare(b.prog) || a.offset - b.offset);
}

function programIds(c: Collection): Map<number, string> {
  return new Map([...c.programs.values()].map((p) => [p.info().id, p.name]));
}

describeWith(["root", "bpffs", "vmlinux-btf", "clang", "x86_64"], "uprobes and USDT in the kernel", () => {
  const tmp = useTempDir("bpfkit-uprobe-");
  let t: UprobeTargets;
  let backend: KernelBackend;
  beforeAll(() => {
    t = buildUprobeTargets(tmp());
    backend = new KernelBackend();
  });
  afterAll(() => backend?.close());

  it.each(["pie", "nopie", "based"] as const)(
    "uprobe and uretprobe on bpfkit_work of the %s executable count every call and see every return value",
    async (kind) => {
      using c = load(["on_work", "on_work_ret"]);
      const entry = c.program("on_work").attach({ uprobe: t[kind], func: "bpfkit_work" });
      const exit = c.program("on_work_ret").attach({ uprobe: t[kind], func: "bpfkit_work", retprobe: true });
      expect(entry.description).toMatch(new RegExp(`^uprobe ${t[kind]}:bpfkit_work \\(file offset 0x[0-9a-f]+\\)$`));
      expect(exit.description).toMatch(/^uretprobe /);
      expect(await run(t[kind], 25)).toBe(summary(25));
      expect(hits(c, HIT.WORK, HIT.WORK_RET, HIT.SUM_WORK_RET)).toEqual([25n, 25n, 625n]);
      entry.close();
      exit.close();
      await run(t[kind], 5);
      expect(hits(c, HIT.WORK, HIT.WORK_RET)).toEqual([25n, 25n]);
    },
  );

  it("pid narrows a uprobe to one process: a second process running the same binary is not counted", async () => {
    using c = load(["on_work", "on_lib_work"]);
    const [a, b] = await Promise.all([start(t.pie, 10), start(t.pie, 10)]);
    using narrowed = c.program("on_work").attach({ uprobe: t.pie, func: "bpfkit_work", pid: a!.pid });
    using everyone = c.program("on_lib_work").attach({ uprobe: t.lib, func: "bpfkit_lib_work" });
    expect(narrowed.description).toMatch(new RegExp(` pid ${a!.pid}$`));
    await Promise.all([a!.go(), b!.go()]);
    expect(hits(c, HIT.WORK, HIT.LIB)).toEqual([10n, 20n]);
    void everyone;
  });

  it("USDT bpfkit:tick: two call sites, arguments in registers (32 and 16 bits), a constant and memory, sign-extended by their sizes, and the USDT cookie", async () => {
    using c = load(["on_tick"]);
    using link = c.program("on_tick").attach({ usdt: t.based, provider: "bpfkit", name: "tick", cookie: 99n });
    expect(link.description).toBe(`usdt ${t.based}:bpfkit:tick (2 sites)`);
    expect(link.children).toHaveLength(2);
    expect(await run(t.based, 12)).toBe(summary(12));
    expect(hits(c, HIT.TICK)).toEqual([12n]);
    const ticks = c.map("ticks");
    for (let i = 0; i < 12; i++) {
      const bytes = ticks.lookup(new Uint8Array(new BigInt64Array([BigInt(i)]).buffer));
      expect(bytes, `round ${i}`).toBeDefined();
      const [a0, a1, a2, a3, count, cookie, errors] = new BigInt64Array(bytes!.buffer, bytes!.byteOffset, 7);
      expect({ args: [a0, a1, a2, a3], count, cookie, errors }, `round ${i}`).toEqual({
        args: [BigInt(i), -3n, BigInt(i * 1000 + 7), BigInt(-i)],
        count: 4n,
        cookie: 99n,
        errors: 0n,
      });
    }
    // the sites' argument strings differ (the compiler placed them differently): two specs, ids 0 and 1
    expect(perfLinks(backend, programIds(c)).map((l) => l.cookie)).toEqual([0n, 1n]);
  });

  it("a USDT semaphore is raised by the kernel while the probe is attached, and lowered when it closes", async () => {
    using c = load(["on_gated"]);
    expect(await run(t.pie, 4)).toBe(summary(4, 0));
    const before = openLinkCount();
    const link = c.program("on_gated").attach({ usdt: t.pie, provider: "bpfkit", name: "gated" });
    // one Link for the attachment, holding the uprobe link of each site
    expect([openLinkCount(), link.children.length]).toEqual([before + 1, 1]);
    expect(await run(t.pie, 6)).toBe(summary(6, 6));
    expect(hits(c, HIT.GATED)).toEqual([6n]);
    link.close();
    expect([openLinkCount(), link.children[0]!.closed]).toEqual([before, true]);
    expect(await run(t.pie, 3)).toBe(summary(3, 0));
    expect(hits(c, HIT.GATED)).toEqual([6n]);
  });

  it("a shared library: a uprobe by versioned name and a USDT probe in it fire for the executable that loads it", async () => {
    using c = load(["on_lib_work", "on_lib_tick"]);
    using _work = c.program("on_lib_work").attach({ uprobe: t.lib, func: "bpfkit_lib_work@@BPFKIT_1" });
    using _tick = c.program("on_lib_tick").attach({ usdt: t.lib, provider: "bpfkit", name: "lib_tick" });
    expect(await run(t.nopie, 9)).toBe(summary(9));
    expect(hits(c, HIT.LIB, HIT.LIB_TICK, HIT.SUM_LIB_TICK)).toEqual([9n, 9n, 36n]);
  });

  it('attachAll attaches SEC("uprobe/PATH:func"), SEC("uretprobe/PATH:func") and SEC("usdt/PATH:provider:name")', async () => {
    // A twin of the fixture whose sections name the binaries this test built (see uprobe.bpf.c)
    const twin = join(tmp(), "uprobe-auto.bpf.o");
    execFileSync(
      "bash",
      [fixturePath("build.sh"), "uprobe.bpf.c", twin, "bpf", `TARGET_BIN="${t.based}"`, `TARGET_LIB="${t.lib}"`],
      { stdio: "pipe" },
    );
    using c = loadCollection(twin, { programs: ["on_work", "on_work_ret", "on_lib_tick", "on_tick"] });
    expect(c.program("on_work").spec.sectionName).toBe(`uprobe/${t.based}:bpfkit_work`);
    const links = c.attachAll();
    expect(links.map((l) => l.description).sort()).toEqual(
      [
        expect.stringMatching(new RegExp(`^uprobe ${t.based}:bpfkit_work \\(file offset`)),
        expect.stringMatching(new RegExp(`^uretprobe ${t.based}:bpfkit_work \\(file offset`)),
        `usdt ${t.lib}:bpfkit:lib_tick (1 site)`,
      ].sort(),
    );
    expect(await run(t.based, 7)).toBe(summary(7));
    expect(hits(c, HIT.WORK, HIT.WORK_RET, HIT.SUM_WORK_RET, HIT.LIB_TICK, HIT.TICK)).toEqual([7n, 7n, 49n, 7n, 0n]);
  });

  it("paths: relative to the working directory, or a bare name searched in PATH / the library path", async () => {
    using c = load(["on_work"]);
    using link = c.program("on_work").attach({ uprobe: relative(process.cwd(), t.pie), func: "bpfkit_work" });
    expect(link.description).toContain(`uprobe ${t.pie}:`);
    await run(t.pie, 3);
    expect(hits(c, HIT.WORK)).toEqual([3n]);
    expect(resolveBinaryPath("target-pie", { PATH: `/nonexistent:${t.dir}` })).toBe(t.pie);
    expect(resolveBinaryPath("libbpfkit-target.so", { LD_LIBRARY_PATH: t.dir })).toBe(t.lib);
    expect(resolveBinaryPath("libc.so.6", {})).toMatch(/\/libc\.so\.6$/);
    expect(() => resolveBinaryPath("target-pie", { PATH: "/nonexistent" })).toThrow(
      expect.objectContaining({ code: "NOT_FOUND", message: expect.stringMatching(/'target-pie' not found in PATH/) }),
    );
  });

  it("errors name what is missing: the function, the probe, the file", () => {
    using c = load(["on_work", "on_tick", "on_work_ret"]);
    const attachError = (attach: () => Link): AttachError => {
      try {
        attach().close();
      } catch (error) {
        expect(error).toBeInstanceOf(AttachError);
        return error as AttachError;
      }
      throw new Error("attached");
    };
    const noFunc = attachError(() => c.program("on_work").attach({ uprobe: t.pie, func: "no_such_function" }));
    expect(noFunc.code).toBe("NOT_FOUND");
    expect(noFunc.message).toContain(`'${t.pie}': no function 'no_such_function' in .symtab and .dynsym`);
    const noProbe = attachError(() => c.program("on_tick").attach({ usdt: t.pie, provider: "bpfkit", name: "nope" }));
    expect(noProbe.code).toBe("NOT_FOUND");
    expect(noProbe.message).toMatch(/no USDT probe bpfkit:nope \(it has bpfkit:tick, bpfkit:gated\)/);
    const noFile = attachError(() => c.program("on_work").attach({ uprobe: join(t.dir, "absent"), func: "f" }));
    expect(noFile.code).toBe("NOT_FOUND");
    expect(noFile.message).toMatch(/cannot read .*absent: ENOENT/);
    const notElf = attachError(() => c.program("on_work").attach({ uprobe: fixturePath("uprobe"), func: "on_work" }));
    expect(notElf.code).toBe("BAD_TARGET");
    // libbpf: "uretprobes do not support offset specification" (SEC("uretprobe/PATH:func+4"))
    const plan = { kind: "uprobe", path: t.pie, func: "bpfkit_work", offset: 4, retprobe: true } as const;
    expect(() => attachByPlan(backend, c.program("on_work_ret"), plan)).toThrow(/a uretprobe takes no offset/);
  });

  itWith(
    ["libbpf-dev"],
    "libbpf attaches the same: equal perf links (file offsets, cookies, semaphore offsets) and USDT specs",
    async () => {
      const oracle = join(tmp(), "uprobe-oracle");
      execFileSync("cc", ["-O2", "-o", oracle, join(import.meta.dirname, "uprobe-oracle.c"), "-lbpf"]);
      // the executable linked at 0x10000: no address in it is its file offset
      const child = spawn(oracle, [fixturePath("uprobe"), t.based, t.lib], { stdio: ["pipe", "pipe", "inherit"] });
      const closed = new Promise((done) => child.on("exit", done));
      let out = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk) => {
          out += chunk;
          if (out.includes("ready\n")) resolve();
          if (out.includes("error")) reject(new Error(`libbpf: ${out}`));
        });
        child.on("exit", () => reject(new Error(`libbpf exited: ${out}`)));
      });
      const theirProgs = new Map<number, string>();
      const theirSpecs: string[] = [];
      for (const line of out.split("\n")) {
        const [word, a, b] = line.split(" ");
        if (word === "prog") theirProgs.set(Number(b), a!);
        if (word === "spec") theirSpecs.push(`${a} ${b}`);
      }
      const theirs = perfLinks(backend, theirProgs);
      child.stdin!.end("done\n");
      await closed;

      using c = load(["on_work", "on_work_ret", "on_lib_work", "on_tick", "on_gated", "on_lib_tick"]);
      using _1 = c.program("on_work").attach({ uprobe: t.based, func: "bpfkit_work" });
      using _2 = c.program("on_work_ret").attach({ uprobe: t.based, func: "bpfkit_work", retprobe: true });
      using _3 = c.program("on_lib_work").attach({ uprobe: t.lib, func: "bpfkit_lib_work" });
      using _4 = c.program("on_tick").attach({ usdt: t.based, provider: "bpfkit", name: "tick", cookie: 99n });
      using _5 = c.program("on_gated").attach({ usdt: t.based, provider: "bpfkit", name: "gated" });
      using _6 = c.program("on_lib_tick").attach({ usdt: t.lib, provider: "bpfkit", name: "lib_tick", cookie: 7n });
      const ours = perfLinks(backend, programIds(c));
      expect(theirs).toHaveLength(7);
      expect(ours).toEqual(theirs);
      expect(ours.find((l) => l.prog === "on_gated")!.refCtrOffset).not.toBe(0n);
      const specs = c.map("__bpf_usdt_specs");
      const ourSpecs: string[] = [];
      for (let id = 0; id < 16; id++) {
        const value = specs.lookup(new Uint8Array(new Uint32Array([id]).buffer))!;
        if (value.some((byte) => byte !== 0)) ourSpecs.push(`${id} ${Buffer.from(value).toString("hex")}`);
      }
      expect(theirSpecs).toHaveLength(4);
      expect(ourSpecs).toEqual(theirSpecs);
    },
  );
});
