// The VM as a loader Backend: the same clang objects through loadCollection, run with the kernel's results. Against
// the real kernel (root): every program of each fixture below, on the same packets, gives the same return value
// and output packet, and leaves the same map contents, in both VM engines. Without root: the VM alone runs
// xdp_parse and gets what its C says.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Collection, loadCollection } from "@bpfkit/kernel";
import { VmBackend, type VmEngine } from "@bpfkit/vm";
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
const PERCPU_ARRAY = 6;
const ARRAY_OF_MAPS = 12;

/** The sum of the little-endian u64 slots of a per-CPU value. */
function sumU64(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0n;
  for (let at = 0; at + 8 <= bytes.length; at += 8) sum += view.getBigUint64(at, true);
  return sum;
}

const PACKETS = [ipv4Packet(IPPROTO_UDP), ipv4Packet(IPPROTO_TCP), new Uint8Array(20), new Uint8Array(0)];

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
    // Prog arrays and map-in-map arrays hold ids, which differ between the kernel and the VM: compare which
    // slots are set. Per-CPU values are summed: the kernel's run used whichever CPU it was on.
    if (type === PROG_ARRAY || type === ARRAY_OF_MAPS) seen[`map ${name}`] = text(entries.map(([key]) => key));
    else if (type === PERCPU_ARRAY) seen[`map ${name}`] = text(entries.map(([key, value]) => [key, sumU64(value)]));
    else seen[`map ${name}`] = text(entries);
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
    expect(() => vm.createMap({ mapType: 30, keySize: 0, valueSize: 4, maxEntries: 1, name: "bloom" })).toThrow(
      /map type 30 \(map 'bloom'\) is not supported by the VM backend yet/,
    );
  });
});
