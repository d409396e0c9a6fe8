// BTF dedup against libbpf 1.1's btf__dedup (through bench/c/btf_dedup_bench.c): same per-kind counts and
// byte-identical btf__raw_data(), on fixture BTF, linker-style concatenations, split BTF and vmlinux.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { Btf } from "../packages/btf/src/btf.js";
import { countKindsRaw, dedupRawBtf } from "../packages/btf/src/dedup/index.js";
import { concatRawBtf, fixtureBtf, fixtureSection, libbpfDedup } from "./btf-dedup-support.js";
import { describeWith } from "./support/env.js";

const fixtures = [
  "xdp_pass.bpf.o",
  "xdp_parse.bpf.o",
  "globals.bpf.o",
  "bss_custom.bpf.o",
  "subprogs.bpf.o",
  "maps.bpf.o",
  "core_task.bpf.o",
  "externs.bpf.o",
  "sections.bpf.o",
];

/** First differing byte (or -1) and both lengths, so a failure says where the outputs part ways. */
function difference(ours: Uint8Array, theirs: Uint8Array): { length: number; firstDiff: number } {
  const n = Math.min(ours.length, theirs.length);
  let i = 0;
  while (i < n && ours[i] === theirs[i]) i++;
  return { length: ours.length - theirs.length, firstDiff: i === n && ours.length === theirs.length ? -1 : i };
}

function baseShape(base: Uint8Array): Btf {
  return Btf.parse(base);
}

function expectSameAsLibbpf(btf: Uint8Array, options: { base?: Uint8Array; btfExt?: Uint8Array } = {}) {
  const ours = dedupRawBtf(btf, options);
  const theirs = libbpfDedup(btf, options);
  expect(countKindsRaw(ours.btf, options.base ? baseShape(options.base) : undefined)).toEqual(theirs.kinds);
  expect(difference(ours.btf, theirs.btf)).toEqual({ length: 0, firstDiff: -1 });
  if (options.btfExt) {
    expect(ours.btfExt).toBeDefined();
    expect(difference(ours.btfExt as Uint8Array, theirs.btfExt as Uint8Array)).toEqual({ length: 0, firstDiff: -1 });
  }
  return { ours, theirs };
}

describeWith(["libbpf-dev"], "dedup matches libbpf btf__dedup on fixture BTF", () => {
  for (const object of fixtures) {
    it(`${object}: .BTF and .BTF.ext`, () => {
      const btfExt = fixtureSection(object, ".BTF.ext");
      const { ours } = expectSameAsLibbpf(fixtureBtf(object), btfExt ? { btfExt } : {});
      // Every input id maps into the output's id range.
      const count = Btf.parse(ours.btf).ownTypeCount;
      for (const id of ours.typeIdMap) expect(id).toBeLessThanOrEqual(count);
    });
  }

  for (const object of ["xdp_parse.bpfeb.o", "subprogs.bpfeb.o", "globals.bpfeb.o"]) {
    it(`${object}: big-endian .BTF stays big-endian`, () => {
      const btf = fixtureBtf(object);
      const { ours } = expectSameAsLibbpf(btf);
      expect(ours.btf[0]).toBe(0xeb);
    });
  }
});

describeWith(["libbpf-dev"], "dedup matches libbpf on linker-style concatenated BTF", () => {
  it("core_task + externs + maps + globals (shared kernel types)", () => {
    const input = concatRawBtf(["core_task.bpf.o", "externs.bpf.o", "maps.bpf.o", "globals.bpf.o"].map(fixtureBtf));
    const { ours } = expectSameAsLibbpf(input);
    expect(ours.btf.length).toBeLessThan(input.length);
  });

  it("every fixture twice, in two orders, with separate and with shared strings", () => {
    const blobs = fixtures.map(fixtureBtf);
    for (const shareStrings of [false, true]) {
      expectSameAsLibbpf(concatRawBtf([...blobs, ...blobs], undefined, { shareStrings }));
      expectSameAsLibbpf(concatRawBtf([...blobs].reverse().concat(blobs), undefined, { shareStrings }));
    }
  });

  it("subprogs + xdp_parse + sections with their .BTF.ext remapped", () => {
    // Only the first object's .BTF.ext: its ids are valid in the concatenation since that object comes first.
    const btfExt = fixtureSection("subprogs.bpf.o", ".BTF.ext") as Uint8Array;
    const input = concatRawBtf(["subprogs.bpf.o", "xdp_parse.bpf.o", "sections.bpf.o"].map(fixtureBtf));
    expectSameAsLibbpf(input, { btfExt });
  });
});

describeWith(["libbpf-dev"], "dedup matches libbpf on split BTF", () => {
  it("externs + maps split on core_task", () => {
    const base = fixtureBtf("core_task.bpf.o");
    const split = concatRawBtf([fixtureBtf("externs.bpf.o"), fixtureBtf("maps.bpf.o")], base);
    const { ours } = expectSameAsLibbpf(split, { base });
    // Types duplicated from the base map onto base ids.
    const baseCount = Btf.parse(base).ownTypeCount;
    expect([...ours.typeIdMap.slice(baseCount + 1)].some((id) => id <= baseCount)).toBe(true);
  });

  it("split on a base that holds duplicates (which base copy wins follows libbpf's hashmap order)", () => {
    // A base is never deduplicated, so identical base types all stay candidates; libbpf takes the first its
    // hashmap yields, and that order flips each time the hashmap grows.
    const blobs = fixtures.map(fixtureBtf);
    const base = concatRawBtf([...blobs, ...blobs, ...blobs], undefined, { shareStrings: true });
    for (const split of [
      concatRawBtf([fixtureBtf("core_task.bpf.o"), fixtureBtf("maps.bpf.o")], base),
      concatRawBtf(blobs, base),
    ]) {
      expectSameAsLibbpf(split, { base });
    }
  });

  it("the base itself as split BTF dedups to its VARs and DATASECs only", () => {
    const base = fixtureBtf("core_task.bpf.o");
    const { ours } = expectSameAsLibbpf(concatRawBtf([base], base), { base });
    // VAR and DATASEC are never deduplicated; everything else maps onto the base.
    expect(Object.keys(countKindsRaw(ours.btf, baseShape(base))).sort()).toEqual(["DATASEC", "VAR"]);
  });
});

describeWith(["libbpf-dev", "vmlinux-btf"], "dedup matches libbpf on vmlinux BTF", () => {
  const vmlinux = () => new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux"));

  it("vmlinux alone", () => {
    expectSameAsLibbpf(vmlinux());
  });

  it("core_task + externs split on vmlinux (like a kernel module)", () => {
    const base = vmlinux();
    expectSameAsLibbpf(concatRawBtf([fixtureBtf("core_task.bpf.o"), fixtureBtf("externs.bpf.o")], base), { base });
  });

  it("vmlinux twice (every kind, DECL_TAG/TYPE_TAG/ENUM64/FLOAT included, has an exact duplicate)", () => {
    const v = vmlinux();
    const { ours } = expectSameAsLibbpf(concatRawBtf([v, v]));
    expect(Btf.parse(ours.btf).ownTypeCount).toBeLessThan(Btf.parse(v).ownTypeCount + 400);
  });

  it("vmlinux + core_task + maps concatenated", () => {
    expectSameAsLibbpf(concatRawBtf([vmlinux(), fixtureBtf("core_task.bpf.o"), fixtureBtf("maps.bpf.o")]));
  });
});
