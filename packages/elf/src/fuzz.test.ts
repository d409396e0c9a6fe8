import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixtureNames, loadFixture } from "../test-support/fixtures.js";
import { parseElf } from "./elf-file.js";
import { ElfError } from "./errors.js";
import { elfToWriteModel } from "./write/from-file.js";
import { writeElf } from "./write/write-elf.js";

// Property: whatever the bytes, parseElf returns a model or throws ElfError — never a RangeError/TypeError, never
// a hang. Inputs are real fixtures with targeted damage, so most runs get deep into the parser instead of
// failing at the magic number. A model that parses must also survive the writer and parse again.

const fixtures = fixtureNames().map((name) => loadFixture(name));
const SEED = 0x5eed_e1f;

/** A value that is likely to matter: boundaries, small numbers, sizes near the file's, or anything. */
const interesting = (fileSize: number) =>
  fc.oneof(
    fc.constantFrom(0, 1, 2, 3, 8, 16, 24, 64, 0xff, 0xff00, 0xfff1, 0xffff, 0x7fff_ffff, 0xffff_ffff),
    fc.integer({ min: 0, max: fileSize + 64 }),
    fc.integer({ min: 0, max: 0xffff_ffff }),
  );

type Mutation =
  | { kind: "flip"; at: number; xor: number }
  | { kind: "truncate"; length: number }
  | { kind: "header"; field: number; width: 1 | 2 | 4 | 8; value: number }
  | { kind: "section"; index: number; field: number; width: 4 | 8; value: number }
  | { kind: "word"; at: number; value: number };

const SECTION_FIELDS: [number, 4 | 8][] = [
  [0, 4],
  [4, 4],
  [8, 8],
  [24, 8],
  [32, 8],
  [40, 4],
  [44, 4],
  [48, 8],
  [56, 8],
];
const HEADER_FIELDS: [number, 1 | 2 | 4 | 8][] = [
  [4, 1],
  [5, 1],
  [0x10, 2],
  [0x12, 2],
  [0x28, 8],
  [0x34, 2],
  [0x3a, 2],
  [0x3c, 2],
  [0x3e, 2],
];

const mutation = (size: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(size - 1), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant("truncate" as const), length: fc.nat(size) }),
    fc
      .tuple(fc.constantFrom(...HEADER_FIELDS), interesting(size))
      .map(([[field, width], value]) => ({ kind: "header" as const, field, width, value })),
    fc
      .tuple(fc.nat(80), fc.constantFrom(...SECTION_FIELDS), interesting(size))
      .map(([index, [field, width], value]) => ({ kind: "section" as const, index, field, width, value })),
    fc.record({ kind: fc.constant("word" as const), at: fc.nat(size - 4), value: interesting(size) }),
  );

function apply(input: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = input.slice();
  const le = bytes[5] !== 2;
  for (const m of mutations) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const put = (at: number, width: number, value: number) => {
      if (at < 0 || at + width > bytes.length) return;
      if (width === 1) view.setUint8(at, value & 0xff);
      else if (width === 2) view.setUint16(at, value & 0xffff, le);
      else if (width === 4) view.setUint32(at, value >>> 0, le);
      else view.setBigUint64(at, BigInt(value), le);
    };
    switch (m.kind) {
      case "flip":
        if (m.at < bytes.length) bytes[m.at]! ^= m.xor;
        break;
      case "truncate":
        bytes = bytes.slice(0, m.length);
        break;
      case "header":
        put(m.field, m.width, m.value);
        break;
      case "section": {
        if (bytes.length < 64) break;
        const shoff = Number(view.getBigUint64(0x28, le));
        put(shoff + m.index * 64 + m.field, m.width, m.value);
        break;
      }
      case "word":
        put(m.at, 4, m.value);
        break;
    }
  }
  return bytes;
}

/** Touches everything a consumer would: names, data views, symbols, relocations and their resolved links. */
function walk(bytes: Uint8Array): void {
  const file = parseElf(bytes, { machine: "any", type: "any" });
  let sum = 0;
  // Invariants the parser promises, so a missing check shows up as a failure rather than a short view.
  for (const s of file.sections) {
    sum += s.name.length + s.data.length;
    if (s.type !== 0 && s.type !== 8 && s.data.length !== s.size)
      throw new Error(`section ${s.index}: short data view`);
    if (s.data.length > 0 && s.data.byteOffset - bytes.byteOffset !== s.offset) throw new Error("data view misplaced");
  }
  for (const r of file.relocationSections) {
    for (const e of r.relocations) if (e.offset >= r.target.size) throw new Error("relocation outside its target");
  }
  for (const table of file.symbolTables)
    for (const sym of table.symbols) sum += sym.name.length + (sym.section?.index ?? 0);
  for (const r of file.relocationSections) for (const e of r.relocations) sum += e.symbol.index + r.target.index;
  expect(sum).toBeGreaterThanOrEqual(0);
  // The write step costs more than the parse on the 650 KB DWARF-heavy objects; the small ones cover it.
  if (bytes.length > 100_000) return;
  let written: Uint8Array;
  try {
    written = writeElf(elfToWriteModel(file));
  } catch (err) {
    if (err instanceof ElfError && (err.code === "UNSUPPORTED" || err.code === "BAD_MODEL")) return;
    throw err;
  }
  parseElf(written, { machine: "any", type: "any" });
}

function parsesOrThrowsElfError(bytes: Uint8Array): void {
  try {
    walk(bytes);
  } catch (err) {
    if (!(err instanceof ElfError)) throw err;
  }
}

describe("parseElf on damaged fixtures", () => {
  it("returns a model or throws ElfError (targeted field damage)", () => {
    fc.assert(
      fc.property(
        fc
          .nat(fixtures.length - 1)
          .chain((i) =>
            fc.tuple(fc.constant(i), fc.array(mutation(fixtures[i]!.length), { minLength: 1, maxLength: 4 })),
          ),
        ([i, mutations]) => parsesOrThrowsElfError(apply(fixtures[i]!, mutations)),
      ),
      { seed: SEED, numRuns: 2500 },
    );
  });

  it("returns a model or throws ElfError (random bytes anywhere, both headers kept)", () => {
    fc.assert(
      fc.property(fc.nat(fixtures.length - 1), fc.uint8Array({ minLength: 0, maxLength: 2048 }), (i, noise) => {
        const bytes = fixtures[i]!.slice();
        bytes.set(noise.subarray(0, Math.max(0, bytes.length - 64)), 64);
        parsesOrThrowsElfError(bytes);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("the damage is real: most mutated files are rejected, some still parse", () => {
    const outcome = { parsed: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.array(mutation(fixtures[0]!.length), { minLength: 1, maxLength: 2 }), (mutations) => {
        try {
          parseElf(apply(fixtures[0]!, mutations));
          outcome.parsed++;
        } catch (err) {
          if (!(err instanceof ElfError)) throw err;
          outcome.rejected++;
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect(outcome.rejected).toBeGreaterThan(30);
    expect(outcome.parsed).toBeGreaterThan(30);
  });
});
