// The VM as a loader Backend: the same clang objects through loadCollection, run with the kernel's results. Against
// the real kernel (root): every program of each fixture below, on the same packets, gives the same return value
// and output packet, and leaves the same map contents, in both VM engines. Without root: the VM alone runs
// xdp_parse and gets what its C says.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Collection, loadCollection } from "@bpfkit/kernel";
import { VmBackend, type VmEngine, type VmError } from "@bpfkit/vm";
import { describe, expect, it } from "vitest";
import { fixturePath } from "./loader-support.js";
import { jsonOf, ours } from "./support/bpftool.js";
import { describeWith, usePinRoot, useTempDir } from "./support/env.js";
import { ipv4Packet } from "./support/packets.js";

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const XDP_DROP = 1;
const XDP_PASS = 2;
const PROG_ARRAY = 3;
const PERCPU_HASH = 5;
const PERCPU_ARRAY = 6;
const LRU_PERCPU_HASH = 10;
const ARRAY_OF_MAPS = 12;
const HASH_OF_MAPS = 13;

/** The sum of the little-endian u64 slots of a per-CPU value. */
function sumU64(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0n;
  for (let at = 0; at + 8 <= bytes.length; at += 8) sum += view.getBigUint64(at, true);
  return sum;
}

/** Packets of several lengths (tail_subprog picks its prog array slot by length modulo 4). */
const PACKETS = [
  ipv4Packet(IPPROTO_UDP),
  ipv4Packet(IPPROTO_TCP),
  new Uint8Array(20),
  new Uint8Array(0),
  Uint8Array.of(...ipv4Packet(IPPROTO_UDP), 1),
  Uint8Array.of(...ipv4Packet(IPPROTO_TCP), 1, 2),
];

/** Every program on every packet, then every map's entries, as comparable text. */
function observe(c: Collection): Record<string, string> {
  const seen: Record<string, string> = {};
  const text = (v: unknown) =>
    JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? Array.from(x) : x));
  for (const [name, prog] of c.programs) {
    PACKETS.forEach((packet, i) => {
      try {
        const r = prog.testRun({ dataIn: packet });
        seen[`${name} #${i}`] = text([r.retval, r.dataOut]);
      } catch (error) {
        seen[`${name} #${i}`] = `refused: ${(error as Error).name}`;
      }
    });
  }
  for (const [name, map] of c.maps) {
    let entries: [Uint8Array, Uint8Array][];
    try {
      entries = [...map.entries()] as [Uint8Array, Uint8Array][];
    } catch {
      seen[`map ${name}`] = "not iterable"; // ring buffers
      continue;
    }
    const type = map.spec.type;
    // Prog arrays and maps of maps hold ids, which differ between the kernel and the VM: compare which slots are
    // set. Per-CPU values are summed: the kernel's run used whichever CPU it was on. Hash iteration orders
    // differ too: entries are compared as sets.
    const rows =
      type === PROG_ARRAY || type === ARRAY_OF_MAPS || type === HASH_OF_MAPS
        ? entries.map(([key]) => text(key))
        : [PERCPU_ARRAY, PERCPU_HASH, LRU_PERCPU_HASH].includes(type)
          ? entries.map(([key, value]) => text([key, sumU64(value)]))
          : entries.map((entry) => text(entry));
    seen[`map ${name}`] = rows.sort().join(" ");
  }
  return seen;
}

const FIXTURES = [
  "xdp_parse",
  "xdp_pass",
  "globals",
  "bss_custom",
  "legacy_maps",
  "btf_kinds",
  "core_matches",
  "tail_calls",
  "vm_maps",
  "tail_subprog",
];

describeWith(["root", "bpffs", "vmlinux-btf"], "VM backend vs the kernel", () => {
  const pins = usePinRoot();
  it.each(FIXTURES)("%s: same results in the kernel, the interpreter and the compiled engine", (name) => {
    const run = (backend?: VmBackend) => {
      // By-name pins (maps.bpf.o's lru_pinned) go to the test's own pin root, removed after it.
      using c = loadCollection(fixturePath(name), backend ? { backend } : { pinRoot: pins() });
      return observe(c);
    };
    const kernel = run();
    // Programs the kernel itself could not run here (a test run refused) prove nothing about the VM.
    const comparable = Object.keys(kernel).filter((k) => !kernel[k]!.startsWith("refused"));
    expect(comparable.length).toBeGreaterThan(0);
    for (const engine of ["interpreter", "compiled"] as VmEngine[]) {
      const vm = run(new VmBackend({ engine }));
      for (const key of comparable) expect([engine, key, vm[key]]).toEqual([engine, key, kernel[key]]);
    }
  });
});

describeWith(["vmlinux-btf"], "VM backend without root", () => {
  it("runs xdp_parse through loadCollection: drops what .rodata says, counts per protocol", () => {
    for (const engine of ["interpreter", "compiled"] as VmEngine[]) {
      using c = loadCollection(fixturePath("xdp_parse"), {
        backend: new VmBackend({ engine }),
        variables: { drop_proto: IPPROTO_UDP },
      });
      const xdp = c.program("xdp_parse");
      expect(xdp.testRun({ dataIn: ipv4Packet(IPPROTO_UDP), repeat: 3 }).retval).toBe(XDP_DROP);
      expect(xdp.testRun({ dataIn: ipv4Packet(IPPROTO_TCP) }).retval).toBe(XDP_PASS);
      expect(c.map("proto_count").get(IPPROTO_UDP)).toBe(3n);
      expect(c.map("proto_count").get(IPPROTO_TCP)).toBe(1n);
      expect(c.variable("packets_seen").get()).toBe(4n);
    }
  });
});

describeWith(["vmlinux-btf"], "VM faults name the C line", () => {
  it("a run stopped by the budget names the instruction and its line from line_info, in both engines", () => {
    for (const engine of ["interpreter", "compiled"] as VmEngine[]) {
      using c = loadCollection(fixturePath("xdp_parse"), { backend: new VmBackend({ engine, budget: 12 }) });
      const run = () => c.program("xdp_parse").testRun({ dataIn: ipv4Packet(IPPROTO_UDP) });
      expect(run).toThrow(/^insn \d+: instruction budget of 12 exhausted .*\[\.\/xdp_parse\.bpf\.c:\d+(:\d+)?: .+\]$/);
      try {
        run();
      } catch (error) {
        expect((error as VmError).line).toMatch(/^\.\/xdp_parse\.bpf\.c:\d+/);
      }
    }
  });
});

describeWith(["root", "bpffs", "vmlinux-btf"], "bpftool --backend vm prog run", () => {
  const tmp = useTempDir("bpfkit-vm-run-");

  it("prints what the kernel run prints (duration aside), dumped maps included", async () => {
    const packet = join(tmp(), "pkt64.bin");
    writeFileSync(packet, ipv4Packet(IPPROTO_UDP));
    const args = ["prog", "run", "object", fixturePath("xdp_parse"), "program", "xdp_parse", "data_in", packet];
    const run = async (...extra: string[]) => {
      const out = jsonOf(await ours(["-j", ...extra, ...args, "repeat", "5", "dump_maps"])) as Record<string, unknown>;
      expect(out.duration).toEqual(expect.any(Number));
      return { ...out, duration: 0 } as Record<string, unknown>;
    };
    const vm = await run("--backend", "vm");
    expect(vm).toEqual(await run());
    expect(vm.retval).toBe(XDP_PASS);
    // The flag is honoured: a PROG that names a kernel object is refused with it.
    const byId = await ours(["--backend", "vm", "prog", "run", "id", "1", "data_in", packet]);
    expect(byId.stderr).toContain("backend 'vm' runs programs given as 'object FILE [program NAME]'");
  });
});

describeWith(["vmlinux-btf"], "VM ring buffer", () => {
  it("the host reads the records maps_socket commits, in order", () => {
    const vm = new VmBackend({ engine: "compiled" });
    using c = loadCollection(fixturePath("maps"), { backend: vm });
    const prog = c.program("maps_socket");
    prog.testRun({ dataIn: ipv4Packet(IPPROTO_UDP), repeat: 3 });
    const records = vm.ringBufferRecords(c.map("events").fd);
    // each run commits the u64 key it used (the skb's ifindex, 1)
    expect(records.map((r) => Array.from(r))).toEqual(Array(3).fill([1, 0, 0, 0, 0, 0, 0, 0]));
    expect(vm.ringBufferRecords(c.map("events").fd)).toEqual([]);
  });
});

describe("VM backend limits", () => {
  it("refuses what it cannot do yet with NOT_SUPPORTED, naming it", () => {
    const vm = new VmBackend();
    expect(() => vm.createMap({ mapType: 15, keySize: 4, valueSize: 4, maxEntries: 1, name: "socks" })).toThrow(
      /map type 15 \(map 'socks'\) is not supported by the VM backend yet/,
    );
  });
});

describeWith(["vmlinux-btf"], "VM output and process helpers", () => {
  it("perf_event_output, trace_printk, comm, probe reads and a bpf_loop nested in for_each reach the host", () => {
    for (const engine of ["interpreter", "compiled"] as VmEngine[]) {
      const vm = new VmBackend({ engine, process: { pid: 7, tgid: 42, uid: 0, gid: 0, comm: "tester" } });
      using c = loadCollection(fixturePath("vm_output"), { backend: vm });
      expect(c.program("report").testRun({ dataIn: ipv4Packet(IPPROTO_UDP) }).retval).toBe(XDP_PASS);
      const records = vm.perfEventRecords(c.map("events").fd);
      expect(records.map((r) => [r.cpu, r.key, r.bytes.length])).toEqual([[0, 0, 48]]);
      const view = new DataView(records[0]!.bytes.buffer);
      const len = view.getUint32(0, true);
      // weights 10+20+30, plus bpf_loop(key) sums of 0..key-1 for keys 1, 2, 3: 0 + 1 + 3.
      expect([len, view.getUint32(4, true), view.getBigUint64(24, true)]).toEqual([64, 42, 64n]);
      expect(new TextDecoder().decode(records[0]!.bytes.subarray(8, 14))).toBe("tester");
      expect([view.getBigUint64(32, true), view.getBigInt64(40, true)]).toEqual([0x1122334455667788n, -14n]);
      expect(vm.log).toEqual(["len 64 nested 64 comm tester", "hex 0000beef|-3  |   ab"]);
      expect(vm.perfEventRecords(c.map("events").fd)).toEqual([]);
    }
  });
});

describeWith(["root", "bpffs", "vmlinux-btf"], "VM test runs with ctx_in and ctx_out", () => {
  it("an skb program sees the __sk_buff fields ctx_in sets and gives back what it wrote, as in the kernel", () => {
    const ctxIn = new Uint8Array(192);
    const view = new DataView(ctxIn.buffer);
    view.setUint32(8, 21, true); // mark
    view.setUint32(32, 3, true); // priority
    for (let i = 0; i < 5; i++) view.setUint32(48 + 4 * i, i + 1, true); // cb[]
    view.setUint32(160, 100, true); // wire_len
    const run = (backend?: VmBackend) => {
      using c = loadCollection(fixturePath("skb_ctx"), backend ? { backend } : {});
      const r = c.program("skb_fields").testRun({ dataIn: ipv4Packet(IPPROTO_UDP), ctxIn, ctxSizeOut: 192 });
      return [r.retval, Array.from(r.ctxOut)];
    };
    const kernel = run();
    expect(kernel[0]).toBe(15 + 64);
    for (const engine of ["interpreter", "compiled"] as VmEngine[])
      expect(run(new VmBackend({ engine }))).toEqual(kernel);
    // a byte outside the fields a test run takes is refused by both
    const bad = ctxIn.slice();
    bad[0] = 1;
    using k = loadCollection(fixturePath("skb_ctx"));
    expect(() => k.program("skb_fields").testRun({ dataIn: ipv4Packet(IPPROTO_UDP), ctxIn: bad })).toThrow(/EINVAL/);
    using v = loadCollection(fixturePath("skb_ctx"), { backend: new VmBackend() });
    expect(() => v.program("skb_fields").testRun({ dataIn: ipv4Packet(IPPROTO_UDP), ctxIn: bad })).toThrow(/EINVAL/);
  });
});
