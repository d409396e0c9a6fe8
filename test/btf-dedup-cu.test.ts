// Dedup across compilation units with partial type information (FWD-only structs/unions, a forward-declared
// enum, an ambiguous struct name), compiled here from test/btf-dedup-cu{1,2,3}.bpf.c and concatenated like the
// linker does; libbpf's btf__dedup on the same input is the oracle (byte-identical output and .BTF.ext).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, expect, it } from "vitest";
import { countKindsRaw, dedupRawBtf } from "../packages/btf/src/dedup/index.js";
import { concatRawBtf, elfSection, libbpfDedup, scratchFile } from "./btf-dedup-support.js";
import { describeWith } from "./support/env.js";

interface Unit {
  readonly btf: Uint8Array;
  readonly btfExt: Uint8Array;
}

function compile(n: number): Unit {
  const source = fileURLToPath(new URL(`./btf-dedup-cu${n}.bpf.c`, import.meta.url));
  const object = scratchFile(`cu${n}.o`);
  execFileSync("clang-19", ["-target", "bpf", "-g", "-O2", "-Wall", "-Werror", "-c", source, "-o", object]);
  const elf = new Uint8Array(readFileSync(object));
  const btf = elfSection(elf, ".BTF");
  const btfExt = elfSection(elf, ".BTF.ext");
  if (!btf || !btfExt) throw new Error(`cu${n}: no .BTF/.BTF.ext`);
  return { btf, btfExt };
}

function sameAsLibbpf(btf: Uint8Array, options: { base?: Uint8Array; btfExt?: Uint8Array } = {}) {
  const ours = dedupRawBtf(btf, options);
  const theirs = libbpfDedup(btf, options);
  expect(Buffer.from(ours.btf).equals(Buffer.from(theirs.btf))).toBe(true);
  if (options.btfExt)
    expect(Buffer.from(ours.btfExt as Uint8Array).equals(Buffer.from(theirs.btfExt as Uint8Array))).toBe(true);
  return { ours, theirs };
}

describeWith(["clang", "libbpf-dev"], "dedup across partial compilation units", () => {
  let cu: Unit[] = [];
  beforeAll(() => {
    cu = [1, 2, 3].map(compile);
  });

  it("each unit alone, with its .BTF.ext", () => {
    for (const unit of cu) sameAsLibbpf(unit.btf, { btfExt: unit.btfExt });
  });

  it("all orders of the three units", () => {
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const order of orders) {
      const input = concatRawBtf(order.map((i) => (cu[i] as Unit).btf));
      const { theirs } = sameAsLibbpf(input, order[0] === undefined ? {} : { btfExt: (cu[order[0]] as Unit).btfExt });
      // One copy of each shared type survives; the ambiguous 'struct dup' keeps its FWD.
      expect(theirs.kinds.FWD).toBe(1);
    }
  });

  it("FWDs of unit 1 resolve through the other units' definitions", () => {
    const { ours } = sameAsLibbpf(concatRawBtf(cu.map((u) => u.btf)));
    const kinds = countKindsRaw(ours.btf);
    // struct A, B, S, bits, anon_holder + 2 anonymous members, two different 'struct dup'.
    expect(kinds.STRUCT).toBe(8);
    expect(kinds.UNION).toBe(2); // union U and the anonymous union
    expect(kinds.ENUM).toBe(1); // the enum forward declaration merged into enum E
  });

  it("units 2 and 3 as split BTF on unit 1", () => {
    const base = (cu[0] as Unit).btf;
    sameAsLibbpf(concatRawBtf([(cu[1] as Unit).btf, (cu[2] as Unit).btf], base), { base });
    sameAsLibbpf(concatRawBtf([(cu[2] as Unit).btf, (cu[1] as Unit).btf], base), { base });
  });

  it("unit 1 as split BTF on units 2+3 (base FWDs cannot change)", () => {
    const base = concatRawBtf([(cu[1] as Unit).btf, (cu[2] as Unit).btf]);
    sameAsLibbpf(concatRawBtf([(cu[0] as Unit).btf], base), { base });
  });
});
