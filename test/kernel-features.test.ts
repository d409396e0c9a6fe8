// Feature probes against the running kernel, with `bpftool -j feature probe kernel` (libbpf 1.1's probes) as
// the oracle for program types, map types and the helpers of one program type.
import { execFileSync } from "node:child_process";
import { release } from "node:os";
import { BPFTOOL_MAP_TYPE_NAMES, BPFTOOL_PROG_TYPE_NAMES, HELPER_NAMES, ProgType } from "@bpfkit/asm";
import { KernelFeatures } from "@bpfkit/kernel";
import { beforeAll, expect, it } from "vitest";
import { describeWith } from "./support/env.js";

interface FeatureProbe {
  program_types: Record<string, boolean>;
  map_types: Record<string, boolean>;
  helpers: Record<string, string[]>;
}

describeWith(["root", "bpftool"], "kernel feature probes vs bpftool feature probe", () => {
  let oracle: FeatureProbe;
  const features = new KernelFeatures();
  beforeAll(() => {
    oracle = JSON.parse(execFileSync("bpftool", ["-j", "feature", "probe", "kernel"], { encoding: "utf8" }));
  });

  it("program types agree with bpftool for every type libbpf 1.1 names", () => {
    const ours: Record<string, boolean> = {};
    const theirs: Record<string, boolean> = {};
    BPFTOOL_PROG_TYPE_NAMES.forEach((name, type) => {
      const key = `have_${name}_prog_type`;
      if (type === 0 || !(key in oracle.program_types)) return;
      ours[name] = features.hasProgType(type);
      theirs[name] = oracle.program_types[key] as boolean;
    });
    expect(Object.keys(ours).length).toBeGreaterThan(25);
    expect(ours).toEqual(theirs);
  });

  it("map types agree with bpftool for every type libbpf 1.1 names", () => {
    const ours: Record<string, boolean> = {};
    const theirs: Record<string, boolean> = {};
    BPFTOOL_MAP_TYPE_NAMES.forEach((name, type) => {
      const key = `have_${name}_map_type`;
      if (type === 0 || !(key in oracle.map_types)) return;
      ours[name] = features.hasMapType(type);
      theirs[name] = oracle.map_types[key] as boolean;
    });
    expect(Object.keys(ours).length).toBeGreaterThan(25);
    expect(ours).toEqual(theirs);
  });

  it("XDP helpers agree with bpftool's xdp_available_helpers (libbpf 1.1 rule), ours is stricter", () => {
    const listed = new Set(oracle.helpers.xdp_available_helpers);
    // bpftool lists trace_printk, trace_vprintk and probe_write_user only with `full` (they print to dmesg).
    const hidden = new Set(["bpf_trace_printk", "bpf_trace_vprintk", "bpf_probe_write_user"]);
    const helpers = HELPER_NAMES.map((name, id) => ({ name, id })).filter(
      ({ name, id }) => id > 0 && !hidden.has(name),
    );
    const known = helpers.filter(({ id }) => features.helperSupport(ProgType.XDP, id) !== "unknown").map((h) => h.name);
    expect(new Set(known)).toEqual(new Set([...listed].filter((n) => HELPER_NAMES.includes(n))));
    // hasHelper also drops the helpers the kernel refuses for XDP, which libbpf 1.1 still lists.
    const usable = new Set(helpers.filter(({ id }) => features.hasHelper(ProgType.XDP, id)).map((h) => h.name));
    expect(usable.has("bpf_xdp_adjust_head")).toBe(true);
    expect(usable.has("bpf_map_lookup_elem")).toBe(true);
    expect(usable.has("bpf_d_path")).toBe(false);
    expect(listed.has("bpf_d_path")).toBe(true);
    for (const name of usable) expect(listed.has(name)).toBe(true);
  });

  it("a 6.x kernel has every libbpf 1.1 feature this backend probes", () => {
    expect({
      progName: features.progName,
      globalData: features.globalData,
      btf: features.btf,
      btfFunc: features.btfFunc,
      btfGlobalFunc: features.btfGlobalFunc,
      btfDatasec: features.btfDatasec,
      btfFloat: features.btfFloat,
      btfDeclTag: features.btfDeclTag,
      btfTypeTag: features.btfTypeTag,
      btfEnum64: features.btfEnum64,
      arrayMmap: features.arrayMmap,
      expAttachType: features.expAttachType,
      probeReadKernel: features.probeReadKernel,
      progBindMap: features.progBindMap,
      moduleBtf: features.moduleBtf,
      fdArray: features.fdArray,
      memcgAccount: features.memcgAccount,
      bpfCookie: features.bpfCookie,
    }).toEqual({
      progName: true,
      globalData: true,
      btf: true,
      btfFunc: true,
      btfGlobalFunc: true,
      btfDatasec: true,
      btfFloat: true,
      btfDeclTag: true,
      btfTypeTag: true,
      btfEnum64: true,
      arrayMmap: true,
      expAttachType: true,
      probeReadKernel: true,
      progBindMap: true,
      moduleBtf: true,
      fdArray: true,
      memcgAccount: true,
      bpfCookie: true,
    });
  });

  it("kernel-version dependent probes follow the running kernel", () => {
    const [major, minor] = release().split(".").map(Number);
    const atLeast = (a: number, b: number) =>
      (major as number) > a || ((major as number) === a && (minor as number) >= b);
    expect(features.logTrueSize).toBe(atLeast(6, 4));
    // "?.data" DATASEC names are accepted by kernels since 6.5 (libbpf HEAD probes the same way).
    expect(features.btfQmarkDatasec).toBe(atLeast(6, 5));
  });

  it("probes kinds newer than libbpf 1.1's tables on kernels that have them", () => {
    const [major, minor] = release().split(".").map(Number);
    const atLeast = (a: number, b: number) =>
      (major as number) > a || ((major as number) === a && (minor as number) >= b);
    expect(features.hasMapType(32)).toBe(atLeast(6, 2)); // cgrp_storage
    expect(features.hasMapType(33)).toBe(atLeast(6, 9)); // arena
    expect(features.hasMapType(9999)).toBe(false);
    expect(features.hasProgType(9999)).toBe(false);
  });

  it("caches: a second read does not probe again", () => {
    const fresh = new KernelFeatures();
    const t0 = performance.now();
    fresh.hasMapType(1);
    const first = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 1000; i++) fresh.hasMapType(1);
    const thousand = performance.now() - t1;
    expect(thousand).toBeLessThan(first * 50);
  });
});
