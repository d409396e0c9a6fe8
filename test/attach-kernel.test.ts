// program.attach() and collection.attachAll() in the kernel: tracepoints and raw tracepoints fire on a syscall the
// test makes, a perf event program samples a software clock, a cgroup link appears and goes, links pin and
// close, and the kprobe attachment this kernel cannot make fails naming CONFIG_KPROBES, where libbpf (the
// oracle: test/attach-oracle.c) fails too.

import { execFileSync, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { AttachError, type Collection, iteratorText, loadCollection, openLinkCount } from "@bpfkit/kernel";
import { expect, it } from "vitest";
import { fixturePath } from "./loader-support.js";
import { cgroup2Mount, describeWith, usePinRoot, useTempDir } from "./support/env.js";

const HIT = { TP: 0, RAW_TP: 1, PERF: 2, TP_ALT: 6 };
const TRACING = ["on_getppid", "on_getppid_alt", "on_sys_enter"];

function load(programs: string[]): Collection {
  return loadCollection(fixturePath("attach"), { variables: { target_tgid: process.pid }, programs });
}

/** getppid(2), `n` times (libuv asks the kernel each time process.ppid is read). */
function getppid(n: number): void {
  for (let i = 0; i < n; i++) void process.ppid;
}

describeWith(["root", "bpffs", "vmlinux-btf"], "attach in the kernel", () => {
  const pins = usePinRoot();

  it("attachAll attaches what SEC() names: tracepoint and raw tracepoint programs count this process's getppid", () => {
    using c = load(TRACING);
    const before = openLinkCount();
    const links = c.attachAll();
    expect(links.map((l) => l.description)).toEqual([
      "tracepoint syscalls/sys_enter_getppid",
      "tracepoint syscalls/sys_enter_getppid",
      "raw tracepoint sys_enter",
    ]);
    expect(openLinkCount()).toBe(before + 3);
    getppid(7);
    const hits = c.map("hits");
    expect([hits.get(HIT.TP), hits.get(HIT.TP_ALT), hits.get(HIT.RAW_TP)]).toEqual([7n, 7n, 7n]);
    // Closing a link detaches it; the collection closes the rest.
    links[0]!.close();
    getppid(2);
    expect([hits.get(HIT.TP), hits.get(HIT.TP_ALT)]).toEqual([7n, 9n]);
    c.close();
    expect(openLinkCount()).toBe(before);
  });

  it("a pinned link outlives its descriptor and the collection; info() describes it", () => {
    const pin = join(pins(), "tp_link");
    {
      using c = load(["on_getppid"]);
      using link = c.program("on_getppid").attach({ tracepoint: "syscalls/sys_enter_getppid" });
      const info = link.info();
      expect(info.progId).toBe(c.program("on_getppid").info().id);
      link.pin(pin);
      expect(link.pinned).toBe(pin);
    }
    // still attached after close: bpftool sees the pinned link
    const shown = JSON.parse(execFileSync("bpftool", ["-j", "link", "show", "pinned", pin], { encoding: "utf8" }));
    expect(shown.type).toBe("perf_event");
  });

  it("a perf event program samples a software clock, and stops when its link closes", () => {
    using c = load(["on_cpu_clock"]);
    const link = c.program("on_cpu_clock").attach({ perfEvent: { type: 1, config: 0n, samplePeriod: 100_000n } });
    const samples = () => c.map("hits").get(HIT.PERF) as bigint;
    const deadline = Date.now() + 2000;
    while (samples() < 5n && Date.now() < deadline) getppid(1000);
    expect(samples()).toBeGreaterThanOrEqual(5n);
    link.close();
    const after = samples();
    getppid(20_000);
    expect(samples()).toBe(after);
  });

  describeWith(["cgroup2"], "cgroup", () => {
    it("a cgroup_skb program links to a cgroup the test creates, and leaves it on close", () => {
      const dir = join(cgroup2Mount()!, `bpfkit-attach-${process.pid}`);
      mkdirSync(dir);
      try {
        using c = load(["on_egress"]);
        const link = c.program("on_egress").attach({ cgroup: dir });
        // bpftool prints nothing at all for a cgroup without programs
        const listed = () =>
          JSON.parse(execFileSync("bpftool", ["-j", "cgroup", "show", dir], { encoding: "utf8" }).trim() || "[]");
        expect(listed().map((p: { name: string }) => p.name)).toEqual(["on_egress"]);
        link.close();
        expect(listed()).toEqual([]);
      } finally {
        rmdirSync(dir);
      }
    });
  });

  it("iterators: a task iterator's output names this process, read afresh on each pass", () => {
    using c = loadCollection(fixturePath("iter"), {
      programs: ["list_tasks"],
      variables: { target_tgid: process.pid },
    });
    const [tasks] = c.attachAll(); // iter/task auto-attaches
    expect(iteratorText(tasks!)).toMatch(/^task \d+ node\n$/);
    expect(iteratorText(tasks!)).toBe(iteratorText(tasks!));
  });

  it("a map element iterator walks the map it is given, where this kernel loads one", () => {
    let c: Collection;
    try {
      c = loadCollection(fixturePath("iter"), { programs: ["list_squares"] });
    } catch (error) {
      // Some kernels here refuse iter/bpf_map_elem programs at load (EPERM, like fentry): nothing to attach.
      expect((error as Error).message).toMatch(/EPERM/);
      console.log("iter/bpf_map_elem is refused at load on this kernel (EPERM): the attach part is not reached");
      return;
    }
    using _ = c;
    for (const k of [1, 2, 3]) c.map("squares").set(k, BigInt(k * k));
    using elems = c.program("list_squares").attach({ iter: { map: c.map("squares") } });
    expect(iteratorText(elems).trim().split("\n").sort()).toEqual(["1=1", "2=4", "3=9"]);
  });

  it("a netfilter program on IPv4 output counts the UDP datagrams this process sends, until its link closes", async () => {
    const port = 40_000 + (process.pid % 20_000);
    using c = loadCollection(fixturePath("netfilter"), { variables: { port } });
    const link = c.program("count_udp").attach({ netfilter: { family: "ipv4", hook: "output", priority: -128 } });
    const socket = createSocket("udp4");
    const send = () => new Promise<void>((resolve) => socket.send("x", port, "127.0.0.1", () => resolve()));
    try {
      for (let i = 0; i < 5; i++) await send();
      expect(c.map("seen").get(0)).toBe(5n);
      link.close();
      await send();
      expect(c.map("seen").get(0)).toBe(5n);
    } finally {
      socket.close();
    }
  });

  it("a program without a target in its SEC() name is refused by attach() without options", () => {
    using c = load(["on_xdp"]);
    expect(() => c.program("on_xdp").attach()).toThrow(/SEC\("xdp"\) programs attach to a target the caller names/);
    expect(c.attachAll()).toEqual([]);
  });
});

describeWith(
  ["root", "bpffs", "vmlinux-btf", "libbpf-dev"],
  "kprobes where this kernel has none, against libbpf",
  () => {
    const tmp = useTempDir("bpfkit-attach-oracle-");
    let oracleBinary: string | undefined;
    /** libbpf's bpf_program__attach of one program (test/attach-oracle.c), built on first use. */
    const libbpfAttach = (object: string, program: string) => {
      if (!oracleBinary) {
        oracleBinary = join(tmp(), "attach-oracle");
        execFileSync("cc", ["-O2", "-o", oracleBinary, join(import.meta.dirname, "attach-oracle.c"), "-lbpf"]);
      }
      return spawnSync(oracleBinary, [fixturePath(object), program], { encoding: "utf8" });
    };
    /** Ours: the Link, or the error. */
    const oursAttach = (object: string, program: string) => {
      using c = loadCollection(fixturePath(object), { programs: [program] });
      try {
        c.program(program).attach().close();
        return undefined;
      } catch (error) {
        return error;
      }
    };

    it("kprobe/do_unlinkat: where libbpf fails, ours fails naming CONFIG_KPROBES (and attaches where libbpf does)", () => {
      const libbpf = libbpfAttach("attach", "on_unlinkat");
      const error = oursAttach("attach", "on_unlinkat");
      // The expectation is this machine's own: where libbpf attaches kprobes, ours must too.
      if (libbpf.status === 0) return expect(error).toBeUndefined();
      expect(libbpf.stdout).toMatch(/^error \d+/);
      expect(error).toBeInstanceOf(AttachError);
      expect((error as AttachError).code).toBe("NO_KERNEL_FEATURE");
      expect((error as Error).message).toMatch(/kprobe do_unlinkat: .*CONFIG_KPROBES/);
    });

    it("kprobe.multi/do_unlinkat*: where libbpf fails, ours fails naming the kernel's missing kprobe multi links", () => {
      const libbpf = libbpfAttach("kprobe_multi", "on_unlinkat_multi");
      const error = oursAttach("kprobe_multi", "on_unlinkat_multi");
      if (libbpf.status === 0) return expect(error).toBeUndefined();
      expect(libbpf.stdout).toMatch(/^error \d+/);
      expect((error as AttachError).code).toBe("NO_KERNEL_FEATURE");
      expect((error as Error).message).toMatch(/kprobe\.multi do_unlinkat\*: this kernel has no kprobe multi links/);
    });
  },
);
