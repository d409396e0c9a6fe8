// Dedup behaviour on small hand-built BTF (cases modelled on libbpf's selftests), malformed input, and
// properties over the committed fixture objects. The libbpf oracle comparisons live in test/btf-dedup.test.ts.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Btf } from "../btf.js";
import { BtfError } from "../errors.js";
import { forEachStringWord, forEachTypeIdWord } from "../kinds.js";
import { writeBtfBlob } from "../words.js";
import { countKindsRaw, dedupBtf, dedupRawBtf, prepareDedupBase } from "./index.js";

/** Builds raw little-endian BTF type by type; each method returns the new type's id. */
class RawBuilder {
  private readonly words: number[] = [];
  private readonly strings: string[] = [""];
  private strLength = 1;
  private readonly offsets = new Map<string, number>([["", 0]]);
  private count = 0;

  /** Adds a string even if unused, to check unreferenced strings are dropped. */
  str(s: string): number {
    let off = this.offsets.get(s);
    if (off === undefined) {
      off = this.strLength;
      this.offsets.set(s, off);
      this.strings.push(s);
      this.strLength += s.length + 1;
    }
    return off;
  }

  private add(name: string, kind: number, vlen: number, sizeOrType: number, extra: number[], kflag = 0): number {
    this.words.push(this.str(name), ((kflag << 31) | (kind << 24) | vlen) >>> 0, sizeOrType, ...extra);
    return ++this.count;
  }

  int(name: string, size: number): number {
    return this.add(name, 1, 0, size, [(1 << 24) | (size * 8)]);
  }
  ptr(type: number): number {
    return this.add("", 2, 0, type, []);
  }
  constOf(type: number): number {
    return this.add("", 10, 0, type, []);
  }
  struct(name: string, size: number, members: [string, number, number][]): number {
    return this.add(
      name,
      4,
      members.length,
      size,
      members.flatMap(([n, t, bits]) => [this.str(n), t, bits]),
    );
  }
  array(elem: number, index: number, count: number): number {
    return this.add("", 3, 0, 0, [elem, index, count]);
  }
  fwd(name: string, union = false): number {
    return this.add(name, 7, 0, 0, [], union ? 1 : 0);
  }
  enumOf(name: string, size: number, values: [string, number][]): number {
    return this.add(
      name,
      6,
      values.length,
      size,
      values.flatMap(([n, v]) => [this.str(n), v]),
    );
  }

  build(): Uint8Array {
    const strBytes = new TextEncoder().encode(`${this.strings.join("\0")}\0`);
    const out = new Uint8Array(24 + this.words.length * 4 + strBytes.length);
    const view = new DataView(out.buffer);
    view.setUint16(0, 0xeb9f, true);
    view.setUint8(2, 1);
    view.setUint32(4, 24, true);
    view.setUint32(12, this.words.length * 4, true);
    view.setUint32(16, this.words.length * 4, true);
    view.setUint32(20, strBytes.length, true);
    for (const [i, w] of this.words.entries()) view.setUint32(24 + 4 * i, w, true);
    out.set(strBytes, 24 + this.words.length * 4);
    return out;
  }
}

/** Decodes output types as [kind, name, words...] tuples for readable expectations. */
function types(raw: Uint8Array): (string | number)[][] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const typeLen = view.getUint32(12, true);
  const strStart = 24 + view.getUint32(16, true);
  const name = (off: number) => {
    let end = strStart + off;
    while (raw[end] !== 0) end++;
    return new TextDecoder().decode(raw.subarray(strStart + off, end));
  };
  const extra: Record<number, (vlen: number) => number> = { 1: () => 1, 4: (v) => 3 * v, 6: (v) => 2 * v };
  const out: (string | number)[][] = [];
  for (let at = 24; at < 24 + typeLen; ) {
    const info = view.getUint32(at + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const n = (extra[kind] ?? (() => 0))(info & 0xffff);
    const rest = Array.from({ length: n }, (_, i) => view.getUint32(at + 12 + 4 * i, true));
    out.push([kind, name(view.getUint32(at, true)), view.getUint32(at + 8, true), ...rest]);
    at += 12 + 4 * n;
  }
  return out;
}

/** The same types as split BTF on `base`: ids and string offsets moved past the base's. */
function asSplitOn(blob: Uint8Array, base: Uint8Array): Uint8Array {
  const b = Btf.parse(base);
  const raw = Btf.parse(blob);
  const w = raw.words.slice();
  for (const at of raw.starts) {
    forEachTypeIdWord(w, at, (i) => {
      if (w[i] !== 0) w[i] = (w[i] as number) + b.ownTypeCount;
    });
    forEachStringWord(w, at, (i) => {
      if (w[i] !== 0) w[i] = (w[i] as number) + b.strings.bytes.length;
    });
  }
  return writeBtfBlob({ header: raw.header, words: w, strings: raw.strings.bytes, littleEndian: true });
}

describe("dedup of hand-built BTF", () => {
  it("merges two identical compilation units, self-referencing struct included", () => {
    const b = new RawBuilder();
    for (let cu = 0; cu < 2; cu++) {
      const int = b.int("int", 4);
      const s = b.struct("s", 16, [
        ["a", int, 0],
        ["next", int + 2, 64],
      ]);
      b.ptr(s);
    }
    const { btf, typeIdMap } = dedupRawBtf(b.build());
    expect([...typeIdMap]).toEqual([0, 1, 2, 3, 1, 2, 3]);
    expect(types(btf)[0]).toEqual([1, "int", 4, (1 << 24) | 32]);
    // Member names and the pointer target, spelled out.
    const [, s, p] = types(btf);
    expect(s?.slice(0, 3)).toEqual([4, "s", 16]);
    expect(s?.[4]).toBe(1); // a: int
    expect(s?.[7]).toBe(3); // next: ptr
    expect(p).toEqual([2, "", 2]);
  });

  it("resolves a FWD to the struct it stands for inside an equivalent graph", () => {
    const b = new RawBuilder();
    b.int("int", 4); // [1]
    const fwd = b.fwd("foo"); // [2]
    const p1 = b.ptr(fwd); // [3]
    b.struct("bar", 8, [["f", p1, 0]]); // [4]
    const int2 = b.int("int", 4); // [5]
    const foo = b.struct("foo", 4, [["x", int2, 0]]); // [6]
    const p2 = b.ptr(foo); // [7]
    b.struct("bar", 8, [["f", p2, 0]]); // [8]
    const { btf, typeIdMap } = dedupRawBtf(b.build());
    expect(countKindsRaw(btf)).toEqual({ INT: 1, PTR: 1, STRUCT: 2 });
    // Canonical types keep their relative order: int, ptr, bar, foo.
    expect([...typeIdMap]).toEqual([0, 1, 4, 2, 3, 1, 4, 2, 3]);
    expect(types(btf)[1]).toEqual([2, "", 4]);
  });

  it("maps a lone FWD to the only struct of that name, but not when the name is ambiguous", () => {
    const b = new RawBuilder();
    const fwd = b.fwd("foo"); // [1]
    b.ptr(fwd); // [2]
    const int = b.int("int", 4); // [3]
    const foo = b.struct("foo", 4, [["u", int, 0]]); // [4]
    b.ptr(foo); // [5]
    expect(countKindsRaw(dedupRawBtf(b.build()).btf)).toEqual({ PTR: 1, INT: 1, STRUCT: 1 });

    b.struct("foo", 8, [["v", int, 0]]); // [6] a second, different struct foo
    expect(countKindsRaw(dedupRawBtf(b.build()).btf)).toEqual({ FWD: 1, PTR: 2, INT: 1, STRUCT: 2 });
  });

  it("accepts a unit that repeats an identical array type inside one struct (compiler quirk)", () => {
    const b = new RawBuilder();
    const int1 = b.int("int", 4); // [1]
    const arr = b.array(int1, int1, 4); // [2]
    b.struct("s", 32, [
      ["a", arr, 0],
      ["b", arr, 128],
    ]); // [3]
    const int2 = b.int("int", 4); // [4]
    const arrA = b.array(int2, int2, 4); // [5]
    const arrB = b.array(int2, int2, 4); // [6] same array again, a second id
    b.struct("s", 32, [
      ["a", arrA, 0],
      ["b", arrB, 128],
    ]); // [7]
    const { btf, typeIdMap } = dedupRawBtf(b.build());
    expect(countKindsRaw(btf)).toEqual({ INT: 1, ARRAY: 1, STRUCT: 1 });
    expect([...typeIdMap]).toEqual([0, 1, 2, 3, 1, 2, 2, 3]);
  });

  it("lets an enum forward declaration give way to the full enum", () => {
    const b = new RawBuilder();
    b.enumOf("e", 4, []);
    b.enumOf("e", 4, [["A", 1]]);
    const { btf, typeIdMap } = dedupRawBtf(b.build());
    // Strings: "" then "e" (type [1]) then "A" (type [2]'s enumerator) at offset 3.
    expect(types(btf)).toEqual([[6, "e", 4, 3, 1]]);
    expect(countKindsRaw(btf)).toEqual({ ENUM: 1 });
    expect([...typeIdMap]).toEqual([0, 1, 1]);
  });

  it("keeps only referenced strings, each once, in first-reference order", () => {
    const b = new RawBuilder();
    b.str("unused");
    b.int("zzz", 4);
    b.int("aaa", 8);
    b.int("zzz", 4);
    const { btf } = dedupRawBtf(b.build());
    const view = new DataView(btf.buffer, btf.byteOffset);
    const strings = btf.subarray(24 + view.getUint32(16, true));
    expect(new TextDecoder().decode(strings)).toBe("\0zzz\0aaa\0");
  });

  it("dedups split BTF against its base and leaves base ids alone", () => {
    const base = new RawBuilder();
    const int = base.int("int", 4);
    base.ptr(int);
    const baseRaw = base.build();
    const split = new RawBuilder();
    // Split ids start at 3; its own int and pointer duplicate the base's.
    split.int("int", 4); // [3]
    split.ptr(3); // [4]
    split.int("long", 8); // [5]
    // Re-encode split string offsets after the base strings (base section is "\0int\0" = 5 bytes).
    const raw = split.build();
    const view = new DataView(raw.buffer);
    const typeLen = view.getUint32(12, true);
    for (let at = 24; at < 24 + typeLen; at += 16 - (view.getUint32(at + 4, true) >>> 24 === 2 ? 4 : 0)) {
      const name = view.getUint32(at, true);
      if (name !== 0) view.setUint32(at, name + 5, true);
    }
    for (const prepared of [baseRaw, prepareDedupBase(baseRaw)]) {
      const { btf, typeIdMap } = dedupRawBtf(raw, { base: prepared });
      expect([...typeIdMap]).toEqual([0, 1, 2, 1, 2, 3]);
      expect(countKindsRaw(btf, Btf.parse(baseRaw))).toEqual({ INT: 1 });
    }
  });
});

describe("dedup of malformed BTF", () => {
  const valid = () => {
    const b = new RawBuilder();
    const int = b.int("int", 4);
    const s = b.struct("s", 8, [["x", int, 0]]);
    b.ptr(s);
    return b.build();
  };

  it("rejects broken headers and sections with BtfError, as Btf.parse does", () => {
    expect(() => dedupRawBtf(new Uint8Array(10))).toThrow(BtfError);
    const badMagic = valid();
    badMagic[0] = 0;
    expect(() => dedupRawBtf(badMagic)).toThrow(expect.objectContaining({ code: "BAD_MAGIC", offset: 0 }));
    const truncated = valid().subarray(0, 40);
    expect(() => dedupRawBtf(truncated)).toThrow(BtfError);
  });

  it("rejects unknown kinds, dangling type ids and string offsets", () => {
    const unknownKind = valid();
    unknownKind[24 + 7] = 25; // info high byte of type [1]
    expect(() => dedupRawBtf(unknownKind)).toThrow(expect.objectContaining({ code: "UNKNOWN_KIND", typeId: 1 }));
    const dangling = valid();
    new DataView(dangling.buffer).setUint32(24 + 16 + 12 + 4, 99, true); // member type of [2]
    expect(() => dedupRawBtf(dangling)).toThrow(expect.objectContaining({ code: "BAD_TYPE_ID", typeId: 2 }));
    const badName = valid();
    new DataView(badName.buffer).setUint32(24, 1000, true);
    expect(() => dedupRawBtf(badName)).toThrow(expect.objectContaining({ code: "BAD_NAME_OFFSET", typeId: 1 }));
  });

  it("rejects a loop of reference types (libbpf: -ELOOP)", () => {
    const b = new RawBuilder();
    b.ptr(2);
    b.constOf(1);
    expect(() => dedupRawBtf(b.build())).toThrow(/loop/);
    try {
      dedupRawBtf(b.build());
    } catch (err) {
      expect(err).toBeInstanceOf(BtfError);
      expect((err as BtfError).code).toBe("CYCLE");
      expect((err as BtfError).typeId).toBe(1);
    }
  });

  it("throws only BtfError on randomly corrupted input", () => {
    const base = valid();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (edits) => {
          const bytes = base.slice();
          for (const [at, value] of edits) bytes[at] = value;
          try {
            dedupRawBtf(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(BtfError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("dedup of fixture BTF (no tools needed)", () => {
  const fixtureSection = (name: string, section: string): Uint8Array => {
    const elf = new Uint8Array(readFileSync(new URL(`../../../../test/fixtures/${name}`, import.meta.url)));
    const view = new DataView(elf.buffer);
    const shoff = Number(view.getBigUint64(0x28, true));
    const shnum = view.getUint16(0x3c, true);
    const strOff = Number(view.getBigUint64(shoff + view.getUint16(0x3e, true) * 64 + 0x18, true));
    for (let i = 0; i < shnum; i++) {
      const h = shoff + i * 64;
      const start = strOff + view.getUint32(h, true);
      if (new TextDecoder().decode(elf.subarray(start, elf.indexOf(0, start))) !== section) continue;
      const off = Number(view.getBigUint64(h + 0x18, true));
      return elf.slice(off, off + Number(view.getBigUint64(h + 0x20, true)));
    }
    throw new Error(`no ${section} in ${name}`);
  };
  const fixtureBtf = (name: string) => fixtureSection(name, ".BTF");

  it("throws only BtfError on corrupted fixture .BTF and .BTF.ext", () => {
    const btf = fixtureBtf("core_task.bpf.o");
    const btfExt = fixtureSection("core_task.bpf.o", ".BTF.ext");
    const corrupt = (bytes: Uint8Array, edits: [number, number][]) => {
      const out = bytes.slice();
      for (const [at, value] of edits) out[at % out.length] = value;
      return out;
    };
    const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(edits, fc.boolean(), (e, inExt) => {
        try {
          dedupRawBtf(inExt ? btf : corrupt(btf, e), { btfExt: inExt ? corrupt(btfExt, e) : btfExt });
        } catch (err) {
          expect(err).toBeInstanceOf(BtfError);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("dedupBtf on a parsed Btf gives the same bytes as dedupRawBtf, split BTF included", () => {
    for (const name of ["core_task.bpf.o", "maps.bpf.o", "subprogs.bpf.o"]) {
      const raw = fixtureBtf(name);
      const btfExt = fixtureSection(name, ".BTF.ext");
      const viaModel = dedupBtf(Btf.parse(raw), { btfExt });
      const viaRaw = dedupRawBtf(raw, { btfExt });
      expect(Buffer.from(viaModel.raw).equals(Buffer.from(viaRaw.btf))).toBe(true);
      expect(Buffer.from(viaModel.btfExt as Uint8Array).equals(Buffer.from(viaRaw.btfExt as Uint8Array))).toBe(true);
      expect(viaModel.typeIdMap).toEqual(viaRaw.typeIdMap);
      expect(viaModel.btf.ownTypeCount).toBe(Object.values(countKindsRaw(viaRaw.btf)).reduce((a, b) => a + b, 0));
    }
    // Split: core_task's own BTF re-based as split BTF on itself dedups onto the base.
    const baseRaw = fixtureBtf("core_task.bpf.o");
    const base = Btf.parse(baseRaw);
    const splitRaw = asSplitOn(baseRaw, baseRaw);
    const viaModel = dedupBtf(Btf.parse(splitRaw, { base }));
    const viaRaw = dedupRawBtf(splitRaw, { base: baseRaw });
    expect(Buffer.from(viaModel.raw).equals(Buffer.from(viaRaw.btf))).toBe(true);
    expect(viaModel.btf.base).toBe(base);
    expect(viaModel.btf.firstOwnId).toBe(base.typeCount);
  });

  it("is stable: deduplicating the output again changes no type", () => {
    for (const name of ["core_task.bpf.o", "externs.bpf.o", "maps.bpf.o", "globals.bpf.o", "subprogs.bpf.o"]) {
      const once = dedupRawBtf(fixtureBtf(name));
      const twice = dedupRawBtf(once.btf);
      expect(countKindsRaw(twice.btf)).toEqual(countKindsRaw(once.btf));
      expect([...twice.typeIdMap]).toEqual([...twice.typeIdMap.keys()]);
    }
  });
});
