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
import { describeWith, useTempDir } from "./support/env.js";
import { ipv4Packet } from "./support/packets.js";

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const XDP_DROP = 1;
const XDP_PASS = 2;
const PROG_ARRAY = 3;

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
    // Prog arrays hold program ids, which differ between the kernel and the VM: compare which slots are set.
    const entries = [...map.entries()];
    seen[`map ${name}`] = text(map.spec.type === PROG_ARRAY ? entries.map(([key]) => key) : entries);
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
  it.each(FIXTURES)("%s: same results in the kernel, the interpreter and the compiled engine", (name) => {
    const run = (backend?: VmBackend) => {
      using c = loadCollection(fixturePath(name), backend ? { backend } : {});
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

describe("VM backend limits", () => {
  it("refuses what it cannot do yet with NOT_SUPPORTED, naming it", () => {
    const vm = new VmBackend();
    expect(() => vm.createMap({ mapType: 12, keySize: 4, valueSize: 4, maxEntries: 1, name: "outer" })).toThrow(
      /map type 12 \(map 'outer'\) is not supported by the VM backend yet/,
    );
  });
});
