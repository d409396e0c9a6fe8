// End to end on the real kernel: our load(spec, KernelBackend) vs `bpftool prog loadall` (libbpf 1.1) on each
// fixture. The kernel's view is compared: `bpftool -j prog dump xlated` instruction by instruction (with source
// lines and prototypes from func/line info; map ids replaced by map names) and `bpftool -j map show` of the maps.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { KernelBackend } from "../packages/kernel/src/index.js";
import { openObject } from "../packages/loader/src/object/index.js";
import { load } from "../packages/loader/src/prepare/index.js";
import {
  bpftoolLoadAll,
  coreOptions,
  FIXTURES,
  fixtureBytes,
  fixturePath,
  kernelFacts,
  useLoaderOracle,
} from "./loader-support.js";
import { describeWith, itWith, usePinRoot } from "./support/env.js";
import { openFds } from "./support/failures.js";

// sections: programs a kernel may refuse (this one: fentry/fexit/lsm), tested below against libbpf one by one;
// bss_custom: libbpf 1.1 refuses .bss.custom; loader_extra: bpftool 7.1 loadall fails to pin its autoload=false
// program (both tested below without bpftool).
const LOADABLE = FIXTURES.filter((f) => f !== "sections" && f !== "bss_custom" && f !== "loader_extra");

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

describeWith(["bpftool", "root", "bpffs", "vmlinux-btf"], "load(spec, KernelBackend) vs bpftool prog loadall", () => {
  const pinRoot = usePinRoot();

  for (const fixture of LOADABLE) {
    it(fixture, () => {
      const path = fixturePath(fixture);
      const spec = openObject(fixtureBytes(fixture), { path });
      // libbpf's pins (programs, and LIBBPF_PIN_BY_NAME maps) in a directory of their own, so our load below
      // creates its own by-name maps under the pin root instead of reusing libbpf's
      const ref = bpftoolLoadAll(path, join(pinRoot(), "libbpf"));
      const refViews = new Map(
        spec.programs.map((p) => [
          p.name,
          kernelView(bpftool<{ id: number }>("prog", "show", "pinned", `${ref}/${p.name}`).id),
        ]),
      );
      expect(refViews.size).toBeGreaterThan(0);

      const backend = new KernelBackend();
      const before = structuredClone(spec);
      const loaded = load(spec, backend, { externs: kernelFacts(), core: coreOptions(), pinRoot: pinRoot() });
      try {
        expect([...loaded.programs.keys()]).toEqual([...refViews.keys()]);
        const autoloaded = spec.programs.filter((q) => q.autoload);
        expect(autoloaded.length).toBeGreaterThan(0);
        for (const p of autoloaded) {
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

  const oracle = useLoaderOracle();

  itWith(
    ["libbpf-dev"],
    "sections: what libbpf loads here loads with its type and BTF attach target, the rest fails",
    () => {
      const path = fixturePath("sections");
      const spec = openObject(fixtureBytes("sections"), { path });
      const all = spec.programs.map((p) => p.name);
      // what this kernel refuses (this one: fentry/fexit/lsm, EPERM) is learnt from libbpf, each program alone
      const refused = oracle.refused(path, pinRoot(), all);
      const names = all.filter((n) => !refused.has(n));
      expect(names.length).toBeGreaterThan(refused.size);
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
            // the BTF type libbpf attaches each kind of section to: a typedef for tp_btf, a function otherwise
            const [target, kind]: [string, number] = p.section.startsWith("tp_btf/")
              ? [`btf_trace_${p.attachTo}`, 8]
              : p.section.startsWith("iter/")
                ? [`bpf_iter_${p.attachTo}`, 12]
                : p.section.startsWith("lsm/")
                  ? [`bpf_lsm_${p.attachTo}`, 12]
                  : [p.attachTo, 12];
            expect({ name, attachBtfId: info.attachBtfId }).toEqual({
              name,
              attachBtfId: facts.vmlinux!.findByNameKind(target, kind),
            });
          }
        }
        // each program libbpf could not load fails here too, with libbpf's errno
        for (const [name, error] of refused) {
          const code = Object.entries(constants.errno).find(([, n]) => n === -error)?.[0];
          expect(code, `${name}: libbpf error ${error}`).toBeDefined();
          expect(() => load(spec, backend, { externs: facts, core: coreOptions(), programs: [name] }), name).toThrow(
            expect.objectContaining({ code }),
          );
        }
      } finally {
        loaded.close();
        backend.close();
      }
    },
  );

  it("a pin that fails removes the pins made before it and closes every descriptor", () => {
    const spec = openObject(fixtureBytes("maps"), { path: fixturePath("maps") });
    // two by-name maps: events pins first (spec order), then lru_pinned finds its path taken by a directory
    const twoPinned = {
      ...spec,
      maps: spec.maps.map((m) => (m.name === "events" ? { ...m, pinning: "by-name" as const } : m)),
    };
    expect(twoPinned.maps.filter((m) => m.pinning === "by-name").map((m) => m.name)).toEqual(["events", "lru_pinned"]);
    const pins = pinRoot();
    mkdirSync(`${pins}/lru_pinned`);
    const backend = new KernelBackend();
    const before = openFds();
    try {
      expect(() => load(twoPinned, backend, { externs: kernelFacts(), core: coreOptions(), pinRoot: pins })).toThrow(
        /EEXIST/,
      );
      expect(readdirSync(pins)).toEqual(["lru_pinned"]);
      expect(openFds()).toBe(before);
    } finally {
      backend.close();
    }
  });

  it("LIBBPF_PIN_BY_NAME: pins under pinRoot, reuses a compatible pinned map, refuses an incompatible one", () => {
    const spec = openObject(fixtureBytes("maps"), { path: fixturePath("maps") });
    const backend = new KernelBackend();
    const options = { externs: kernelFacts(), core: coreOptions(), pinRoot: pinRoot() };
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
    }
  });
});
