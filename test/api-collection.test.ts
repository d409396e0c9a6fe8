// The user-facing load API against the real kernel: loadCollection → typed maps, mmap'd globals, programs;
// every descriptor released on close and on failure; bpftool as the oracle for what the kernel holds.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { type Collection, kernelEnvironment, loadCollection, possibleCpus, VerifierError } from "@bpfkit/kernel";
import { LoaderError, openObject, setMap, setProgram } from "@bpfkit/loader";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureBytes, fixturePath } from "./loader-support.js";
import { describeWith, usePinRoot } from "./support/env.js";
import { openFds } from "./support/failures.js";
import { ipv4Packet } from "./support/packets.js";

const XDP_DROP = 1;
const XDP_PASS = 2;
const IPPROTO_UDP = 17;

function bpftoolJson(...args: string[]): unknown {
  return JSON.parse(execFileSync("bpftool", ["-j", ...args], { encoding: "utf8" }));
}

describeWith(["root", "bpffs", "vmlinux-btf", "bpftool"], "loadCollection: xdp_parse end to end", () => {
  const pinRoot = usePinRoot();

  it("loads from a path with a .rodata setting, runs, and reads maps and globals typed", () => {
    const before = openFds();
    {
      using c = loadCollection(fixturePath("xdp_parse"), { variables: { drop_proto: IPPROTO_UDP } });
      expect([...c.programs.keys()]).toEqual(["xdp_parse", "tc_count"]);
      expect([...c.variables.keys()]).toEqual(["drop_proto", "packets_seen"]);
      expect(c.variable("drop_proto").get()).toBe(IPPROTO_UDP);

      const xdp = c.program("xdp_parse");
      expect(xdp.testRun({ dataIn: ipv4Packet(IPPROTO_UDP), repeat: 3 }).retval).toBe(XDP_DROP);
      expect(xdp.testRun({ dataIn: ipv4Packet(6) }).retval).toBe(XDP_PASS);
      expect(c.map("proto_count").get(IPPROTO_UDP)).toBe(3n);
      expect(c.map("proto_count").get(6)).toBe(1n);
      expect(c.variable("packets_seen").get()).toBe(4n);
      // the same global through its map: the value type is the section's DATASEC
      expect(c.map("xdp_pars.bss").get(0)).toEqual({ packets_seen: 4n });

      // a write through the mapping is what the program sees next
      c.variable("packets_seen").set(100n);
      xdp.testRun({ dataIn: ipv4Packet(1) });
      expect(c.variable("packets_seen").get()).toBe(101n);
      // .rodata is frozen: read-only after load, with a message saying when to set it
      expect(() => c.variable("drop_proto").set(6)).toThrow(/read-only after load: set it before loading/);

      const info = xdp.info();
      expect(info.name).toBe("xdp_parse");
      const shown = bpftoolJson("prog", "show", "id", String(info.id)) as { name: string; map_ids: number[] };
      expect(shown.map_ids).toContain(c.map("proto_count").info().id);
    }
    expect(openFds()).toBe(before);
  });

  // `maps` pins lru_pinned by name: under the test's own pin root, not the default /sys/fs/bpf every file shares
  it("raw map access: lookup/update/delete/keys/entries", () => {
    using c = loadCollection(fixtureBytes("maps"), { pinRoot: pinRoot() });
    const flows = c.map("flows");
    const key = new Uint8Array([7, 0, 0, 0]);
    const value = new Uint8Array(32);
    value[0] = 9;
    flows.update(key, value);
    expect(flows.lookup(key)).toEqual(value);
    expect([...flows.keys()]).toEqual([key]);
    expect([...flows.entries()]).toEqual([[key, value]]);
    expect(flows.delete(key)).toBe(true);
    expect(flows.delete(key)).toBe(false);
    expect(flows.lookup(key)).toBeUndefined();
  });

  it("typed map access: structs with char arrays, per-CPU arrays; bpftool formats the same value", () => {
    using c = loadCollection(fixtureBytes("maps"), { pinRoot: pinRoot() });
    const flows = c.map("flows");
    flows.set(42, { packets: 5n, bytes: 1500n, comm: "curl" });
    expect(flows.get(42)).toEqual({ packets: 5n, bytes: 1500n, comm: "curl" });
    expect([...flows.typedEntries()]).toEqual([[42, { packets: 5n, bytes: 1500n, comm: "curl" }]]);
    const dump = bpftoolJson("map", "dump", "id", String(flows.info().id)) as { formatted: unknown }[];
    expect(dump.map((e) => e.formatted)).toEqual([{ key: 42, value: { packets: 5, bytes: 1500, comm: "curl" } }]);
    expect(() => flows.set(1, { packets: 1n, nope: 2 })).toThrow(LoaderError);

    const percpu = c.map("percpu_stats");
    const cpus = possibleCpus();
    expect(percpu.get(0)).toEqual(new Array(cpus).fill(0n));
    percpu.set(1, 7n);
    expect(percpu.get(1)).toEqual(new Array(cpus).fill(7n));
    // a map without BTF types (key_size/value_size only) is bytes-only
    expect(() => c.map("lru_pinned").get(new Uint8Array(8))).toThrow(/no BTF value type/);
  });

  it("pins by-name maps under pinRoot and reuses them on the next load; programs pin on demand", () => {
    const root = pinRoot();
    {
      using first = loadCollection(fixtureBytes("maps"), { pinRoot: root });
      first.map("lru_pinned").update(new Uint8Array(8).fill(1), new Uint8Array(8).fill(2));
      first.program("maps_socket").pin(`${root}/maps_socket`);
    }
    expect(existsSync(`${root}/lru_pinned`)).toBe(true);
    expect(existsSync(`${root}/maps_socket`)).toBe(true);
    using second = loadCollection(fixtureBytes("maps"), { pinRoot: root });
    expect(second.map("lru_pinned").lookup(new Uint8Array(8).fill(1))).toEqual(new Uint8Array(8).fill(2));
  });

  it("leaves no descriptor open when loading fails (verifier, or a pin failing after every program loaded)", () => {
    loadCollection(fixturePath("xdp_parse")).close(); // warm the shared environment and lazy imports
    const before = openFds();
    expect(() => loadCollection(fixturePath("verifier_reject"))).toThrow(VerifierError);
    expect(openFds()).toBe(before);
    expect(() => loadCollection(fixtureBytes("maps"), { pinRoot: `${pinRoot()}/no-such-dir/x` })).toThrow(/ENOENT/);
    expect(openFds()).toBe(before);
  });

  it("spec edits before load: a program disabled, one retyped, a map resized (bpftool shows the kernel's view)", () => {
    const path = fixturePath("xdp_parse");
    const spec = openObject(fixtureBytes("xdp_parse"), { path });
    const SCHED_ACT = 4;
    {
      using c = loadCollection(setMap(setProgram(spec, "tc_count", { type: SCHED_ACT }), "proto_count", { flags: 0 }));
      expect(c.program("tc_count").info().type).toBe(SCHED_ACT);
      expect(
        (bpftoolJson("prog", "show", "id", String(c.program("tc_count").info().id)) as { type: string }).type,
      ).toBe("sched_act");
    }
    using c = loadCollection(
      setProgram(setMap(spec, "proto_count", { maxEntries: 77 }), "tc_count", { autoload: false }),
    );
    expect([...c.programs.keys()]).toEqual(["xdp_parse"]);
    const shown = bpftoolJson("map", "show", "id", String(c.map("proto_count").info().id)) as { max_entries: number };
    expect(shown.max_entries).toBe(77);
  });

  it("CO-RE against btfCustomPath gives the same program as against vmlinux", () => {
    using viaVmlinux = loadCollection(fixtureBytes("core_task"));
    using viaCustom = loadCollection(fixtureBytes("core_task"), { btfCustomPath: "/sys/kernel/btf/vmlinux" });
    const tag = (c: Collection) => c.program("core_task").info().tag;
    expect(tag(viaCustom)).toBe(tag(viaVmlinux));
  });

  it("takes an opened spec and a given backend, and leaves that backend open", async () => {
    const { KernelBackend } = await import("@bpfkit/kernel");
    const backend = new KernelBackend();
    try {
      const spec = openObject(fixtureBytes("globals"), { path: "globals.bpf.o" });
      const c = loadCollection(spec, { backend });
      expect(c.variable("pair_value").get()).toEqual({ a: 1, b: 2, flags: 3, mode: 4, c: 5n });
      expect(c.variable("config_name").get()).toBe("bpfkit");
      c.variable("pair_value").set({ mode: 9 });
      expect(c.variable("pair_value").get()).toMatchObject({ flags: 3, mode: 9 });
      c.close();
      expect(c.closed).toBe(true);
      expect(backend.openCount).toBe(0);
      expect(backend.features().btf).toBe(true); // still usable
    } finally {
      backend.close();
    }
  });
});

describe("kernelEnvironment is shared by default", () => {
  afterAll(() => undefined);
  it("returns one instance", () => {
    expect(kernelEnvironment()).toBe(kernelEnvironment());
  });
});
