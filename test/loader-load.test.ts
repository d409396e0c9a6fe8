// End to end on the real kernel: our load(spec, KernelBackend) vs `bpftool prog loadall` (libbpf 1.1) on each
// fixture. The kernel's view is compared: `bpftool -j prog dump xlated` instruction by instruction (with source
// lines and prototypes from func/line info; map ids replaced by map names) and `bpftool -j map show` of the maps.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { KernelBackend } from "../packages/kernel/src/index.js";
import { openObject } from "../packages/loader/src/object/index.js";
import { load } from "../packages/loader/src/prepare/index.js";
import {
  coreOptions,
  FIXTURES,
  fixtureBytes,
  fixturePath,
  kernelFacts,
  REFUSED_SECTIONS_PROGRAMS,
} from "./loader-support.js";
import { describeWith } from "./support/env.js";
import { openFds } from "./support/failures.js";

// sections: fentry/lsm programs this kernel refuses; bss_custom: libbpf 1.1 refuses .bss.custom; loader_extra:
// bpftool 7.1 loadall fails to pin its autoload=false program (both tested below without bpftool).
const LOADABLE = FIXTURES.filter((f) => f !== "sections" && f !== "bss_custom" && f !== "loader_extra");
const ROOT = `/sys/fs/bpf/bpfkit-loader-test-${process.pid}`;

function bpftool<T>(...args: string[]): T {
  return JSON.parse(execFileSync("bpftool", ["-j", ...args], { encoding: "utf8" })) as T;
}

interface MapShow {
  id: number;
  name: string;
  type: string | number;
  flags?: number;
  bytes_key: number;
  bytes_value: number;
  max_entries: number;
  frozen?: number;
}

interface XlatedInsn {
  disasm: string;
  src?: string;
  proto?: string;
}

/** The kernel's view of a program: xlated instructions with map ids replaced by names, plus its maps. */
function kernelView(progId: number) {
  const info = bpftool<{ map_ids?: number[]; type: string }>("prog", "show", "id", String(progId));
  const maps = (info.map_ids ?? []).map((id) => bpftool<MapShow>("map", "show", "id", String(id)));
  const names = new Map(maps.map((m) => [m.id, m.name]));
  const insns = bpftool<XlatedInsn[]>("prog", "dump", "xlated", "id", String(progId)).map((i) => ({
    ...i,
    disasm: i.disasm.replace(/map\[id:(\d+)\]/g, (_, id) => `map[${names.get(Number(id)) ?? "?"}]`),
  }));
  // maps reached only through a map-in-map slot (the inner maps) are part of the view too, and the slots by name
  const slots = new Map<number, string[]>();
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i]!;
    if (m.type !== "array_of_maps" && m.type !== "hash_of_maps") continue;
    const entries = bpftool<{ key: string[]; value: string[] }[]>("map", "dump", "id", String(m.id));
    const named: string[] = [];
    for (const { key, value } of entries) {
      const innerId = Buffer.from(value.map((b) => Number(b))).readUInt32LE(0);
      let inner = maps.find((x) => x.id === innerId);
      if (!inner) {
        inner = bpftool<MapShow>("map", "show", "id", String(innerId));
        maps.push(inner);
      }
      named.push(`${Buffer.from(key.map((b) => Number(b))).readUInt32LE(0)}:${inner.name}`);
    }
    slots.set(m.id, named.sort());
  }
  const mapView = maps
    .map((m) => ({
      name: m.name,
      type: m.type,
      flags: m.flags ?? 0,
      key: m.bytes_key,
      value: m.bytes_value,
      max: m.max_entries,
      frozen: m.frozen ?? 0,
      ...(slots.has(m.id) ? { slots: slots.get(m.id) } : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { type: info.type, insns, maps: mapView };
}

afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

describeWith(["bpftool", "root", "bpffs", "vmlinux-btf"], "load(spec, KernelBackend) vs bpftool prog loadall", () => {
  for (const fixture of LOADABLE) {
    it(fixture, () => {
      const path = fixturePath(fixture);
      const spec = openObject(fixtureBytes(fixture), { path });
      const ref = `${ROOT}/ref-${fixture}`;
      mkdirSync(ROOT, { recursive: true });
      execFileSync("bpftool", ["prog", "loadall", path, ref]);
      const refViews = new Map(
        spec.programs.map((p) => [
          p.name,
          kernelView(bpftool<{ id: number }>("prog", "show", "pinned", `${ref}/${p.name}`).id),
        ]),
      );
      rmSync(ref, { recursive: true, force: true });
      // libbpf pins LIBBPF_PIN_BY_NAME maps under /sys/fs/bpf; remove them so our load creates its own
      for (const m of spec.maps) if (m.pinning === "by-name") rmSync(`/sys/fs/bpf/${m.name}`, { force: true });

      const backend = new KernelBackend();
      const before = structuredClone(spec);
      const loaded = load(spec, backend, { externs: kernelFacts(), core: coreOptions(), pinRoot: ROOT });
      try {
        expect([...loaded.programs.keys()]).toEqual([...refViews.keys()]);
        for (const p of spec.programs.filter((q) => q.autoload)) {
          const ours = kernelView(backend.progInfo(loaded.programs.get(p.name)!).id);
          expect({ program: p.name, ...ours }).toEqual({ program: p.name, ...refViews.get(p.name)! });
        }
        if (fixture === "maps") {
          // the .values initializers: outer's slots hold the inner maps for libbpf and for us
          const outer = refViews.get("maps_socket")!.maps.find((m) => m.name === "outer");
          expect(outer?.slots).toEqual(["0:inner_a", "2:inner_b"]);
          // prog arrays empty once bpftool exits (the kernel clears them with the last user reference): ours only
          const slot = new Uint8Array(4);
          expect(backend.mapLookup(loaded.maps.get("jump_table")!, new Uint8Array([1, 0, 0, 0]), slot)).toBe(true);
          const tailId = backend.progInfo(loaded.programs.get("tail_target")!).id;
          expect(Buffer.from(slot).readUInt32LE(0)).toBe(tailId);
        }
      } finally {
        loaded.close();
        backend.close();
        for (const m of spec.maps) if (m.pinning === "by-name") rmSync(`${ROOT}/${m.name}`, { force: true });
      }
      expect(spec).toEqual(before);
    });
  }

  it("loads one spec twice, into two backends, without changing it", () => {
    const spec = openObject(fixtureBytes("globals"), { path: fixturePath("globals") });
    const before = structuredClone(spec);
    const a = new KernelBackend();
    const b = new KernelBackend();
    const first = load(spec, a, { externs: kernelFacts(), core: coreOptions() });
    const second = load(spec, b, { externs: kernelFacts(), core: coreOptions() });
    try {
      const ids = (o: typeof first, be: KernelBackend) => [...o.programs.values()].map((fd) => be.progInfo(fd).id);
      expect(ids(first, a)[0]).not.toBe(ids(second, b)[0]);
      expect(kernelView(ids(first, a)[0]!).insns.map((i) => i.disasm)).toEqual(
        kernelView(ids(second, b)[0]!).insns.map((i) => i.disasm),
      );
    } finally {
      first.close();
      second.close();
      a.close();
      b.close();
    }
    expect(spec).toEqual(before);
  });

  it("loads .bss.custom (libbpf 1.1 refuses it) and the program sees its map", () => {
    const spec = openObject(fixtureBytes("bss_custom"), { path: fixturePath("bss_custom") });
    const backend = new KernelBackend();
    const loaded = load(spec, backend, { externs: kernelFacts(), core: coreOptions() });
    try {
      const view = kernelView(backend.progInfo(loaded.programs.get("bss_custom_socket")!).id);
      expect(view.maps).toEqual([
        { name: ".bss.custom", type: "array", flags: 0x400, key: 4, value: 16, max: 1, frozen: 0 },
      ]);
      expect(view.insns.some((i) => i.disasm.includes("map[.bss.custom]"))).toBe(true);
    } finally {
      loaded.close();
      backend.close();
    }
  });

  it('legacy SEC("maps") definitions (libbpf 1.1 refuses them) create their maps and the program uses them', () => {
    const spec = openObject(fixtureBytes("legacy_maps"), { path: fixturePath("legacy_maps") });
    const backend = new KernelBackend();
    const loaded = load(spec, backend, { externs: kernelFacts(), core: coreOptions() });
    try {
      const prog = loaded.programs.get("legacy_socket")!;
      const view = kernelView(backend.progInfo(prog).id);
      expect(view.maps).toEqual([
        { name: "legacy_counts", type: "array", flags: 0, key: 4, value: 8, max: 4, frozen: 0 },
        { name: "legacy_hash", type: "hash", flags: 1, key: 4, value: 4, max: 16, frozen: 0 },
      ]);
      expect(backend.testRun(prog, { dataIn: new Uint8Array(64), repeat: 3 }).retval).toBe(0);
      const key = new Uint8Array([1, 0, 0, 0]);
      const count = new Uint8Array(8);
      expect(backend.mapLookup(loaded.maps.get("legacy_counts")!, key, count)).toBe(true);
      expect(Buffer.from(count).readBigUInt64LE(0)).toBe(3n);
      const stored = new Uint8Array(4);
      expect(backend.mapLookup(loaded.maps.get("legacy_hash")!, key, stored)).toBe(true);
      expect(Buffer.from(stored).readUInt32LE(0)).toBe(1);
    } finally {
      loaded.close();
      backend.close();
    }
  });

  it("loader_extra: autoload off, rounded ring buffer, bloom filter map_extra, hidden subprogram", () => {
    const spec = openObject(fixtureBytes("loader_extra"), { path: fixturePath("loader_extra") });
    const backend = new KernelBackend();
    const loaded = load(spec, backend, { externs: kernelFacts(), core: coreOptions() });
    try {
      expect([...loaded.programs.keys()]).toEqual(["extra_tc"]);
      const view = kernelView(backend.progInfo(loaded.programs.get("extra_tc")!).id);
      expect(view.maps).toEqual([
        { name: "bloom", type: "bloom_filter", flags: 0, key: 0, value: 4, max: 64, frozen: 0 },
        { name: "numa_array", type: "array", flags: 0, key: 4, value: 8, max: 8, frozen: 0 },
        { name: "odd_ring", type: "ringbuf", flags: 0, key: 0, value: 0, max: 8192, frozen: 0 },
      ]);
      // the hidden global subprogram is verified as a static one: one program, the helper appended to it
      expect(view.insns.filter((i) => i.proto !== undefined).map((i) => i.proto)).toEqual([
        "int extra_tc(struct __sk_buff * skb)",
        "long sum_elem(struct bpf_map * map, __u32 * key, __u64 * value, void * ctx)",
        "int hidden_helper(int x)",
      ]);
    } finally {
      loaded.close();
      backend.close();
    }
  });

  it("sections: every program the kernel accepts loads with its type and BTF attach target", () => {
    const spec = openObject(fixtureBytes("sections"), { path: fixturePath("sections") });
    const names = spec.programs
      .map((p) => p.name)
      .filter((n) => !(REFUSED_SECTIONS_PROGRAMS as readonly string[]).includes(n));
    const facts = kernelFacts();
    const backend = new KernelBackend();
    const loaded = load(spec, backend, { externs: facts, core: coreOptions(), programs: names });
    try {
      expect([...loaded.programs.keys()]).toEqual(names);
      for (const name of names) {
        const p = spec.programs.find((q) => q.name === name)!;
        const info = backend.progInfo(loaded.programs.get(name)!);
        expect({ name, type: info.type }).toEqual({ name, type: p.type });
        if (p.attachTo !== undefined) {
          const target = p.section.startsWith("tp_btf/") ? `btf_trace_${p.attachTo}` : `bpf_iter_${p.attachTo}`;
          const kind = p.section.startsWith("tp_btf/") ? 8 : 12;
          expect({ name, attachBtfId: info.attachBtfId }).toEqual({
            name,
            attachBtfId: facts.vmlinux!.findByNameKind(target, kind),
          });
        }
      }
    } finally {
      loaded.close();
      backend.close();
    }
  });

  it("a pin that fails removes the pins made before it and closes every descriptor", () => {
    const spec = openObject(fixtureBytes("maps"), { path: fixturePath("maps") });
    // two by-name maps: events pins first (spec order), then lru_pinned finds its path taken by a directory
    const twoPinned = {
      ...spec,
      maps: spec.maps.map((m) => (m.name === "events" ? { ...m, pinning: "by-name" as const } : m)),
    };
    expect(twoPinned.maps.filter((m) => m.pinning === "by-name").map((m) => m.name)).toEqual(["events", "lru_pinned"]);
    const pinRoot = `${ROOT}/pins-rollback`;
    mkdirSync(`${pinRoot}/lru_pinned`, { recursive: true });
    const backend = new KernelBackend();
    const before = openFds();
    try {
      expect(() => load(twoPinned, backend, { externs: kernelFacts(), core: coreOptions(), pinRoot })).toThrow(
        /EEXIST/,
      );
      expect(readdirSync(pinRoot)).toEqual(["lru_pinned"]);
      expect(openFds()).toBe(before);
    } finally {
      backend.close();
      rmSync(pinRoot, { recursive: true, force: true });
    }
  });

  it("LIBBPF_PIN_BY_NAME: pins under pinRoot, reuses a compatible pinned map, refuses an incompatible one", () => {
    const spec = openObject(fixtureBytes("maps"), { path: fixturePath("maps") });
    const pinRoot = `${ROOT}/pins`;
    mkdirSync(pinRoot, { recursive: true });
    const backend = new KernelBackend();
    const options = { externs: kernelFacts(), core: coreOptions(), pinRoot };
    const first = load(spec, backend, options);
    try {
      expect(first.reusedMaps).toEqual([]);
      const second = load(spec, backend, options);
      try {
        expect(second.reusedMaps).toEqual(["lru_pinned"]);
        const id = (o: typeof first) => backend.mapInfo(o.maps.get("lru_pinned")!).id;
        expect(id(second)).toBe(id(first));
      } finally {
        second.close();
      }
      const changed = {
        ...spec,
        maps: spec.maps.map((m) => (m.name === "lru_pinned" ? { ...m, maxEntries: m.maxEntries * 2 } : m)),
      };
      expect(() => load(changed, backend, options)).toThrow(
        /incompatible: max_entries is \d+ there, \d+ in the object/,
      );
    } finally {
      first.close();
      backend.close();
      rmSync(pinRoot, { recursive: true, force: true });
    }
  });
});
