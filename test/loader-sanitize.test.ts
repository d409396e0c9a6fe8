// BTF sanitization on the real kernel: the object BTF rewritten for a kernel without any optional BTF kind is
// still accepted by BPF_BTF_LOAD here, and whole objects load end to end (maps carrying BTF type ids, programs
// that test_run) when the backend claims the BTF features are missing.
import { Btf, Kind } from "@bpfkit/btf";
import { expect, it } from "vitest";
import { KernelBackend, VerifierError } from "../packages/kernel/src/index.js";
import type { Backend, BtfLoadAttrs, Features, LoadedBtf } from "../packages/loader/src/backend.js";
import { openObject } from "../packages/loader/src/object/index.js";
import { type BtfSanitizeFeatures, load, sanitizeBtf } from "../packages/loader/src/prepare/index.js";
import { coreOptions, FIXTURES, fixtureBytes, fixturePath, kernelFacts } from "./loader-support.js";
import { describeWith, usePinRoot } from "./support/env.js";

const BTF_OFF: BtfSanitizeFeatures = {
  btfFunc: false,
  btfGlobalFunc: false,
  btfDatasec: false,
  btfFloat: false,
  btfDeclTag: false,
  btfTypeTag: false,
  btfEnum64: false,
  btfQmarkDatasec: false,
};
/** A 5.0/5.1 kernel: FUNC/FUNC_PROTO known, nothing newer (no global FUNC, VAR/DATASEC, FLOAT, tags, ENUM64). */
const FUNC_ONLY: BtfSanitizeFeatures = { ...BTF_OFF, btfFunc: true };
const OBJECTS = [...FIXTURES, "btf_kinds"];

/** FUNC_PROTO ids with an unnamed parameter (function pointer types): they become ENUMs with unnamed values. */
function protosWithUnnamedParams(btf: Btf): number[] {
  return [...btf.types()]
    .filter(([, t]) => t.kind === Kind.FUNC_PROTO && t.params.some((p) => p.name === ""))
    .map(([id]) => id);
}
const XDP_PASS = 2;

/** The real backend, except that `features()` reports `overrides` and every BTF_LOAD input is recorded. */
function withFeatures(real: KernelBackend, overrides: Partial<Features>): { backend: Backend; btfLoads: Uint8Array[] } {
  const btfLoads: Uint8Array[] = [];
  const realFeatures = real.features();
  const features = new Proxy(realFeatures, {
    get: (target, key) => {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof Features];
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const backend = new Proxy(real, {
    get: (target, key) => {
      if (key === "features") return () => features;
      if (key === "loadBtf") {
        return (attrs: BtfLoadAttrs): LoadedBtf => {
          btfLoads.push(attrs.btf);
          return target.loadBtf(attrs);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as unknown as Backend;
  return { backend, btfLoads };
}

describeWith(["root", "bpffs"], "sanitized BTF on the kernel", () => {
  for (const fixture of OBJECTS) {
    it(`${fixture}: BPF_BTF_LOAD accepts the BTF with every optional kind rewritten`, () => {
      const spec = openObject(fixtureBytes(fixture), { path: fixturePath(fixture) });
      const orig = Btf.parse(spec.btf!);
      const backend = new KernelBackend();
      try {
        for (const features of [BTF_OFF, FUNC_ONLY]) {
          const sanitized = sanitizeBtf(orig, features);
          // nothing the feature-less kernel lacks is left in it
          const kinds = new Set<number>([...Btf.parse(sanitized).types()].map(([, t]) => t.kind));
          const gone: number[] = [Kind.VAR, Kind.DATASEC, Kind.FLOAT, Kind.DECL_TAG, Kind.TYPE_TAG, Kind.ENUM64];
          if (!features.btfFunc) gone.push(Kind.FUNC, Kind.FUNC_PROTO);
          for (const k of gone) expect(kinds.has(k), `kind ${k}`).toBe(false);
          const unnamed = protosWithUnnamedParams(orig);
          if (!features.btfFunc && unnamed.length > 0) {
            // libbpf 1.1's FUNC_PROTO → ENUM keeps unnamed parameters as unnamed enum values. Kernels without
            // FUNC (< 5.0) accepted that; this one checks enum value names (added together with FUNC), so the
            // only complaint must be exactly that, on one of those former prototypes.
            let error: unknown;
            try {
              backend.loadBtf({ btf: sanitized }).fd.close();
            } catch (e) {
              error = e;
            }
            expect(error).toBeInstanceOf(VerifierError);
            const log = (error as VerifierError).log;
            const bad = log.map((line) => /^\[(\d+)\] ENUM .*Invalid name/.exec(line)).find((m) => m !== null);
            expect(bad, log.slice(-3).join("\n")).toBeDefined();
            expect(unnamed).toContain(Number(bad![1]));
            continue;
          }
          backend.loadBtf({ btf: sanitized }).fd.close();
        }
      } finally {
        backend.close();
      }
    });
  }
});

describeWith(["root", "bpffs", "vmlinux-btf"], "load() with the BTF features forced off", () => {
  // `maps` pins a map by name: under the test's own pin root, not the default /sys/fs/bpf every file shares
  const pinRoot = usePinRoot();
  // FUNC_ONLY for every loadable fixture; everything off only where no program needs func_info (global
  // subprograms and callbacks do, and do not exist on kernels without FUNC) and no prototype has unnamed params.
  const cases: [string, BtfSanitizeFeatures, string | undefined, number | undefined][] = [
    ["globals", BTF_OFF, "globals_socket", undefined],
    ["globals", FUNC_ONLY, "globals_socket", undefined],
    ["btf_kinds", FUNC_ONLY, "btf_kinds_xdp", XDP_PASS],
    ["core_task", FUNC_ONLY, undefined, undefined],
    ["xdp_pass", BTF_OFF, "xdp_pass", XDP_PASS],
    ["xdp_parse", FUNC_ONLY, undefined, undefined],
    ["maps", FUNC_ONLY, undefined, undefined],
    ["subprogs", FUNC_ONLY, undefined, undefined],
    ["externs", FUNC_ONLY, undefined, undefined],
  ];
  for (const [fixture, features, program, retval] of cases) {
    const label = features.btfFunc ? "only FUNC kept" : "every BTF feature off";
    it(`${fixture}, ${label}: the kernel gets and keeps the sanitized BTF; programs load${program ? " and run" : ""}`, () => {
      const spec = openObject(fixtureBytes(fixture), { path: fixturePath(fixture) });
      const real = new KernelBackend();
      const { backend, btfLoads } = withFeatures(real, features);
      const before = structuredClone(spec);
      const loaded = load(spec, backend, { externs: kernelFacts(), core: coreOptions(), pinRoot: pinRoot() });
      try {
        expect(spec).toEqual(before);
        expect(btfLoads).toEqual([sanitizeBtf(spec.btf!, features)]);
        expect(loaded.warnings).toEqual([]);
        expect(loaded.btf).toBeDefined();
        expect([...loaded.programs.keys()].sort()).toEqual(
          spec.programs
            .filter((p) => p.autoload)
            .map((p) => p.name)
            .sort(),
        );
        // with FUNC the programs carry func_info into the sanitized BTF; without it the kernel gets none
        expect(loaded.programs.size).toBeGreaterThan(0);
        for (const fd of loaded.programs.values()) {
          const btfId = real.progInfo(fd).btfId;
          if (features.btfFunc) expect(btfId).toBe(real.btfInfo(loaded.btf!).id);
          else expect(btfId).toBe(0);
        }
        if (program) {
          const run = real.testRun(loaded.programs.get(program)!, { dataIn: new Uint8Array(64) });
          if (retval !== undefined) expect(run.retval).toBe(retval);
        }
      } finally {
        loaded.close();
        real.close();
      }
    });
  }

  it("with every feature present the object BTF goes to the kernel byte for byte (common path unchanged)", () => {
    const spec = openObject(fixtureBytes("btf_kinds"), { path: fixturePath("btf_kinds") });
    const real = new KernelBackend();
    const { backend, btfLoads } = withFeatures(real, {});
    const loaded = load(spec, backend, { externs: kernelFacts(), core: coreOptions() });
    try {
      expect(btfLoads).toHaveLength(1);
      expect(btfLoads[0]).toBe(spec.btf);
      expect(real.testRun(loaded.programs.get("btf_kinds_xdp")!, { dataIn: new Uint8Array(64) }).retval).toBe(XDP_PASS);
    } finally {
      loaded.close();
      real.close();
    }
  });
});
