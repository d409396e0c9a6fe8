// Tracing programs in the VM, without root: program.attach() and attachAll() attach to named hooks of a VmBackend,
// and the test fires the events itself with vm.trigger(hook, ctx): attach.bpf.o's tracepoint and raw tracepoint
// programs count getppid for the process the VM says it runs, vm_probe.bpf.o's kprobe and uprobes read their
// arguments from a pt_regs the test builds, and bpf_get_attach_cookie gives each link's cookie.

import { type Collection, loadCollection } from "@bpfkit/kernel";
import { ptRegs, VmBackend, type VmEngine } from "@bpfkit/vm";
import { expect, it } from "vitest";
import { fixturePath } from "./loader-support.js";
import { describeWith } from "./support/env.js";
import { ipv4Packet } from "./support/packets.js";

const HIT = { TP: 0, RAW_TP: 1, PERF: 2, XDP: 4, TCX: 5, TP_ALT: 6 };
const SEEN = { DFD: 0, NAME: 1, SUM: 2, RET: 3, COOKIE: 4 };
const PID = 4242;
const NR_GETPPID = 110;
const XDP_PASS = 2;
/** A sys_enter_getppid record: common fields (8 bytes), __syscall_nr (with padding), six u64 args. */
const GETPPID_RECORD = new Uint8Array(64);

function vm(engine: VmEngine = "interpreter", tgid = PID): VmBackend {
  return new VmBackend({ engine, process: { pid: tgid, tgid, uid: 0, gid: 0 } });
}

function loadAttach(backend: VmBackend, programs?: string[]): Collection {
  return loadCollection(fixturePath("attach"), { backend, variables: { target_tgid: PID }, programs });
}

const u64 = (v: bigint) => BigInt.asUintN(64, v);

describeWith(["vmlinux-btf"], "VM hooks: attach, then trigger", () => {
  for (const engine of ["interpreter", "compiled"] as const) {
    it(`attachAll + trigger count what the tracepoint and raw tracepoint programs see (${engine})`, () => {
      const backend = vm(engine);
      using c = loadAttach(backend);
      const links = c.attachAll();
      expect(links.map((l) => l.description)).toEqual([
        "tracepoint/syscalls/sys_enter_getppid",
        "tracepoint/syscalls/sys_enter_getppid",
        "raw_tp/sys_enter",
        "kprobe/do_unlinkat",
      ]);
      const hits = c.map("hits");
      for (let i = 0; i < 5; i++) {
        expect(backend.trigger("tracepoint/syscalls/sys_enter_getppid", GETPPID_RECORD)).toEqual([0, 0]);
      }
      // raw_tp/sys_enter: args[0] the pt_regs pointer, args[1] the syscall number
      backend.trigger("raw_tp/sys_enter", { args: [0n, NR_GETPPID] });
      backend.trigger("raw_tp/sys_enter", { args: [0n, 39] }); // getpid: not counted
      backend.trigger("raw_tracepoint/sys_enter", { args: [0n, NR_GETPPID] }); // the same hook, by its long name
      expect([hits.get(HIT.TP), hits.get(HIT.TP_ALT), hits.get(HIT.RAW_TP)]).toEqual([5n, 5n, 2n]);
      // a hook nothing is attached to runs nothing
      expect(backend.trigger("tracepoint/syscalls/sys_enter_getpid")).toEqual([]);

      // closing a link stops its program; the others keep counting
      links[0]!.close();
      backend.trigger("tp/syscalls/sys_enter_getppid", GETPPID_RECORD);
      expect([hits.get(HIT.TP), hits.get(HIT.TP_ALT)]).toEqual([5n, 6n]);
      // the collection closes the rest
      c.close();
      expect(backend.trigger("tracepoint/syscalls/sys_enter_getppid", GETPPID_RECORD)).toEqual([]);
    });
  }

  it("programs see the process the VM runs: another tgid is not counted", () => {
    const backend = vm("interpreter", PID + 1);
    using c = loadAttach(backend, ["on_getppid"]);
    c.attachAll();
    expect(backend.trigger("tracepoint/syscalls/sys_enter_getppid", GETPPID_RECORD)).toEqual([0]);
    expect(c.map("hits").get(HIT.TP)).toBe(0n);
  });

  it("attach(options) in the VM: tracepoint, perf event, XDP and tcx hooks", () => {
    const backend = vm("compiled");
    using c = loadAttach(backend);
    using _tp = c.program("on_getppid_alt").attach({ tracepoint: "syscalls/sys_enter_getppid" });
    using perf = c.program("on_cpu_clock").attach({ perfEvent: { type: 1, config: 0n } });
    using _xdp = c.program("on_xdp").attach({ xdp: { ifindex: 3 } });
    using _tcx = c.program("on_tcx").attach({ tcx: { ifindex: 3, direction: "ingress" } });
    expect(perf.description).toBe("perf_event");
    backend.trigger("tracepoint/syscalls/sys_enter_getppid", GETPPID_RECORD);
    backend.trigger("perf_event", { regs: { ip: 0xffffffff81000000n } });
    backend.trigger("perf_event");
    expect(backend.trigger("xdp/3", ipv4Packet(17))).toEqual([XDP_PASS]);
    expect(backend.trigger("xdp/4", ipv4Packet(17))).toEqual([]); // another interface
    expect(backend.trigger("tcx/ingress/3", ipv4Packet(6))).toEqual([0]);
    expect(backend.trigger("tcx/egress/3", ipv4Packet(6))).toEqual([]);
    const hits = c.map("hits");
    expect([HIT.TP, HIT.TP_ALT, HIT.PERF, HIT.XDP, HIT.TCX].map((slot) => hits.get(slot))).toEqual([
      0n,
      1n,
      2n,
      1n,
      1n,
    ]);
    // a program runs only on a hook of its kind (the kernel refuses the attachment with EINVAL)
    expect(() => c.program("on_xdp").attach({ tracepoint: "syscalls/sys_enter_getppid" })).toThrow(
      /prog 'on_xdp' \(type 6\) cannot attach to 'tracepoint\/syscalls\/sys_enter_getppid' \(EINVAL\)/,
    );
    expect(() => backend.trigger("xdp/3")).toThrow(/fires with a packet/);
    expect(() => backend.trigger("tracepoint/syscalls/sys_enter_getppid", { args: [1n] })).toThrow(/raw bytes/);
    expect(() => backend.trigger("nosuch/hook")).toThrow(/the VM has no such hook/);
  });

  it("links update, detach, pin and report info as kernel links do", () => {
    const backend = vm();
    using c = loadAttach(backend, ["on_getppid", "on_getppid_alt"]);
    const hits = c.map("hits");
    const fire = () => backend.trigger("tracepoint/syscalls/sys_enter_getppid", GETPPID_RECORD);
    const link = c.program("on_getppid").attach();
    expect(link.info()).toMatchObject({ type: 7, progId: c.program("on_getppid").info().id }); // perf_event
    link.update(c.program("on_getppid_alt"));
    fire();
    expect([hits.get(HIT.TP), hits.get(HIT.TP_ALT)]).toEqual([0n, 1n]);
    // a pinned link outlives its descriptor, until unpinned
    link.pin("/vm/tp_link");
    link.close();
    fire();
    expect(hits.get(HIT.TP_ALT)).toBe(2n);
    backend.unpin("/vm/tp_link");
    fire();
    expect(hits.get(HIT.TP_ALT)).toBe(2n);
    // detach: the program leaves the hook, the link stays until closed
    const again = c.program("on_getppid").attach();
    again.detach();
    fire();
    expect(hits.get(HIT.TP)).toBe(0n);
    expect(again.info().progId).toBe(c.program("on_getppid").info().id);
    again.close();
  });

  it("kprobe and uprobe programs read their arguments from the pt_regs trigger builds", () => {
    const backend = vm();
    using c = loadCollection(fixturePath("vm_probe"), { backend });
    // with_cookie (bare SEC("kprobe")) names no target: attachAll skips it
    expect(c.attachAll().map((l) => l.description)).toEqual([
      "kprobe/do_unlinkat",
      "uprobe/./app:add",
      "uretprobe/./app:add",
    ]);
    const seen = c.map("seen");
    // do_unlinkat(int dfd, struct filename *name): PT_REGS_PARM1/2 are rdi and rsi
    backend.trigger("kprobe/do_unlinkat", { args: [-100, 0xffff888012345678n] });
    expect([seen.get(SEEN.DFD), seen.get(SEEN.NAME)]).toEqual([u64(-100n), 0xffff888012345678n]);
    // add(a, b, c, d, e): the program sums PARM1, PARM2 and PARM5 (rdi, rsi, r8) and returns PARM1
    expect(backend.trigger("uprobe/./app:add", { args: [1, 2, 3, 4, 5] })).toEqual([1]);
    expect(seen.get(SEEN.SUM)).toBe(8n);
    // the registers by name, or the raw struct pt_regs bytes
    backend.trigger("uprobe/./app:add", { regs: { di: 10, si: 20, r8: 30 } });
    expect(seen.get(SEEN.SUM)).toBe(60n);
    backend.trigger("uretprobe/./app:add", ptRegs({ ax: 42 })); // PT_REGS_RC is rax
    expect(seen.get(SEEN.RET)).toBe(42n);
  });

  it("bpf_get_attach_cookie gives each program its link's cookie", () => {
    const backend = vm("compiled");
    using c = loadCollection(fixturePath("vm_probe"), { backend, programs: ["with_cookie"] });
    const seen = c.map("seen");
    const first = c.program("with_cookie").attach({ kprobe: "do_sys_openat2", cookie: 0xfeedn });
    backend.trigger("kprobe/do_sys_openat2");
    expect(seen.get(SEEN.COOKIE)).toBe(0xfeedn);
    // two links on one hook run in attach order: the later cookie is the one left
    using _second = c.program("with_cookie").attach({ kprobe: "do_sys_openat2", cookie: 7n });
    expect(backend.trigger("kprobe/do_sys_openat2")).toEqual([0, 0]);
    expect(seen.get(SEEN.COOKIE)).toBe(7n);
    first.close();
    backend.trigger("kprobe/do_sys_openat2+0x0"); // the same hook: offsets are canonical
    expect(seen.get(SEEN.COOKIE)).toBe(7n);
  });
});
