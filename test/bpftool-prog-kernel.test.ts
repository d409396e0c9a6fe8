// The library pieces the prog commands added: @bpfkit/kernel's JITed image (jited_prog_insns, jited_ksyms,
// jited_func_lens), BPF_PROG_ATTACH/DETACH, clock_gettime, and the loader's `reuseMaps` (libbpf's
// bpf_map__reuse_fd, bpftool's `map idx|name MAP`), checked against what bpftool and the kernel report.
import { readFileSync } from "node:fs";
import { parseKallsyms } from "@bpfkit/asm";
import { ClockId, clockGettime, KernelBackend, loadCollection } from "@bpfkit/kernel";
import { afterEach, beforeEach, expect, it } from "vitest";
import { theirsOk } from "./bpftool-oracle-support.js";
import { fixture, progAt } from "./bpftool-prog-support.js";
import { jsonOf } from "./support/bpftool.js";
import { describeWith, usePinRoot } from "./support/env.js";

describeWith(["root", "bpftool", "bpffs"], "kernel additions for bpftool prog", () => {
  const pinRoot = usePinRoot();
  let backend: KernelBackend;

  beforeEach(() => {
    backend = new KernelBackend();
  });
  afterEach(() => backend.close());

  it("reads the JITed image: code of bytes_jited bytes, one symbol and length per function", () => {
    const dir = pinRoot();
    theirsOk(["prog", "loadall", fixture("subprogs"), `${dir}/p`]);
    const shown = progAt(`${dir}/p/socket_sum`);
    const fd = backend.getPinned(`${dir}/p/socket_sum`);
    const image = backend.progJitedImage(fd);
    expect(image.insns.length).toBe(shown.bytes_jited);
    expect(image.funcLens.reduce((a, b) => a + b, 0)).toBe(image.insns.length);
    expect(image.ksyms.length).toBe(image.funcLens.length);
    expect(image.funcLens.length).toBeGreaterThanOrEqual(2); // the program and the subprogram it calls
    const names = new Map(parseKallsyms(readFileSync("/proc/kallsyms", "utf8")).map((s) => [s.address, s.name]));
    expect(names.get(image.ksyms[0] as bigint)).toBe(`bpf_prog_${shown.tag}_socket_sum`);
    const layout = backend.progJitedImage(fd, false);
    expect(layout).toEqual({ insns: new Uint8Array(0), ksyms: image.ksyms, funcLens: image.funcLens });
  });

  it("attaches a sockmap verdict program and detaches it (BPF_PROG_ATTACH/DETACH)", () => {
    const dir = pinRoot();
    theirsOk(["map", "create", `${dir}/sm`, "type", "sockmap", "key", "4", "value", "4", "entries", "4", "name", "sm"]);
    const map = backend.getPinned(`${dir}/sm`);
    const { fd: prog } = backend.loadProgram({
      progType: 14, // sk_skb
      expectedAttachType: 5, // stream_verdict
      insns: Uint8Array.from([0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), // r0 = SK_PASS; exit
      license: "GPL",
    });
    backend.progAttach({ prog, target: map, attachType: 5 });
    backend.progDetach(prog, map, 5);
    // nothing attached any more
    expect(() => backend.progDetach(prog, map, 5)).toThrow(/BPF_PROG_DETACH/);
    // a program of the wrong type is refused
    expect(() => backend.progAttach({ prog, target: map, attachType: 7 })).toThrow(/BPF_PROG_ATTACH/);
  });

  it("reads the clocks bpftool converts load times with", () => {
    const real = clockGettime(ClockId.REALTIME);
    const boot = clockGettime(ClockId.BOOTTIME);
    expect(real).toBeDefined();
    expect(Math.abs(Number(real?.[0]) - Date.now() / 1000)).toBeLessThan(5);
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    expect(Math.abs(Number(boot?.[0]) - uptime)).toBeLessThan(5);
  });

  it("loads an object with one of its maps replaced by an existing map (reuseMaps)", () => {
    const dir = pinRoot();
    theirsOk(["prog", "loadall", fixture("xdp_parse"), `${dir}/p`, "pinmaps", `${dir}/m`]);
    const shared = backend.getPinned(`${dir}/m/proto_count`);
    const sharedId = backend.mapInfo(shared).id;
    const collection = loadCollection(fixture("xdp_parse"), { backend, reuseMaps: new Map([["proto_count", shared]]) });
    try {
      expect(collection.program("xdp_parse").info().mapIds).toContain(sharedId);
      expect(backend.mapInfo(collection.map("proto_count").fd).id).toBe(sharedId);
    } finally {
      collection.close();
    }
    // the reused map is the caller's: still open after the collection closed
    expect(shared.closed).toBe(false);
    expect((jsonOf(theirsOk(["-j", "map", "show", "id", String(sharedId)])) as { id: number }).id).toBe(sharedId);
  });
});
