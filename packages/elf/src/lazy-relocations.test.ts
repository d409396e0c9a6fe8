import { describe, expect, it } from "vitest";
import { fixtureNames, loadFixture } from "../test-support/fixtures.js";
import { R_BPF_64_ABS64, SHT_NOBITS, SHT_PROGBITS } from "./constants.js";
import type { ElfFile } from "./elf-file.js";
import { parseElf } from "./elf-file.js";
import { ElfError, type ElfErrorCode } from "./errors.js";
import type { ElfWriteDataSection, ElfWriteSymbol } from "./write/model.js";
import { writeElf } from "./write/write-elf.js";

// Relocation entries are built on first access, but every entry is still checked by parseElf. These tests pin both
// halves: the entries are the ones in the file (decoded here independently of the parser), cached, and a bad entry
// in a section nobody reads (DWARF's) still makes parseElf fail with the error the eager parser gave.

/** Entry `i` of a relocation section decoded straight from the bytes, as [r_offset, type, symbol index]. */
function rawEntry(file: ElfFile, sectionIndex: number, i: number): [number, number, number] {
  const section = file.sections[sectionIndex]!;
  const view = new DataView(file.bytes.buffer, file.bytes.byteOffset + section.offset + i * 16, 16);
  const little = file.endianness === "little";
  const offset = Number(view.getBigUint64(0, little));
  const info = view.getBigUint64(8, little);
  return [offset, Number(info & 0xffff_ffffn), Number(info >> 32n)];
}

function parseError(bytes: Uint8Array): ElfError {
  try {
    parseElf(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(ElfError);
    return err as ElfError;
  }
  throw new Error("parseElf accepted a corrupt file");
}

function expectError(bytes: Uint8Array, code: ElfErrorCode, offset: number): ElfError {
  const err = parseError(bytes);
  expect({ code: err.code, offset: err.offset }).toEqual({ code, offset });
  return err;
}

describe("relocation entries are decoded on demand", () => {
  it.each(fixtureNames())("%s: entries match the raw bytes and are cached", (name) => {
    const file = parseElf(loadFixture(name));
    for (const r of file.relocationSections) {
      const entries = r.relocations;
      expect(r.relocations).toBe(entries);
      expect(entries).toHaveLength(r.section.size / 16);
      for (const [i, e] of entries.entries()) {
        expect([e.offset, e.type, e.symbolIndex]).toEqual(rawEntry(file, r.section.index, i));
        expect(e.symbol).toBe(r.symbolTable.symbols[e.symbolIndex]);
        expect(e.addend).toBe(0);
      }
    }
  });

  it("a file parsed twice gives separate, equal entry lists", () => {
    const bytes = loadFixture("xdp_parse.bpf.o");
    const [a, b] = [parseElf(bytes), parseElf(bytes)];
    const first = a.relocationSections[0]!;
    expect(first.relocations).not.toBe(b.relocationSections[0]!.relocations);
    expect(first.relocations.map((e) => [e.offset, e.symbol.name])).toEqual(
      b.relocationSections[0]!.relocations.map((e) => [e.offset, e.symbol.name]),
    );
  });

  it("bytes changed after parsing are checked again when the entries are built", () => {
    const bytes = loadFixture("xdp_parse.bpf.o");
    const file = parseElf(bytes);
    const rel = file.sectionByName(".relxdp")!;
    new DataView(bytes.buffer).setUint32(rel.offset + 12, 5000, true);
    const [relocations] = file.relocationsFor(file.sectionByName("xdp")!);
    expect(() => relocations!.relocations).toThrow(ElfError);
  });
});

describe("bad entries in sections a loader never reads still fail parseElf", () => {
  const original = loadFixture("core_task.bpf.o");
  const parsed = parseElf(original);
  const debug = parsed.sectionByName(".rel.debug_str_offsets")!;
  const last = debug.offset + debug.size - 16;
  const corrupt = (edit: (view: DataView) => void): Uint8Array => {
    const bytes = original.slice();
    edit(new DataView(bytes.buffer));
    return bytes;
  };

  it("symbol index past the symbol table (last of 11,830 entries)", () => {
    expect(debug.size / 16).toBeGreaterThan(10_000);
    const err = expectError(
      corrupt((v) => v.setUint32(last + 12, 5000, true)),
      "OUT_OF_RANGE",
      last + 8,
    );
    expect(err.message).toContain(`entry ${debug.size / 16 - 1}: symbol index 5000`);
    expect(err.section).toEqual({ index: debug.index, name: ".rel.debug_str_offsets" });
  });

  it("r_offset past the target section", () => {
    const target = parsed.sections[debug.info]!;
    expectError(
      corrupt((v) => v.setUint32(last, target.size, true)),
      "OUT_OF_RANGE",
      last,
    );
  });

  it("r_offset above 2^53 and r_offset with a high word inside the exact range", () => {
    expectError(
      corrupt((v) => v.setUint32(last + 4, 0x20_0000, true)),
      "VALUE_TOO_LARGE",
      last,
    );
    expectError(
      corrupt((v) => v.setUint32(last + 4, 1, true)),
      "OUT_OF_RANGE",
      last,
    );
  });

  it("the first bad entry is the one reported", () => {
    const first = debug.offset + 16;
    const err = expectError(
      corrupt((v) => {
        v.setUint32(last + 12, 5000, true);
        v.setUint32(first + 12, 6000, true);
      }),
      "OUT_OF_RANGE",
      first + 8,
    );
    expect(err.message).toContain("entry 1: symbol index 6000");
  });

  it("a file not 4-byte aligned in memory takes the same checks (DataView path)", () => {
    const bytes = corrupt((v) => v.setUint32(last + 12, 5000, true));
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expectError(padded.subarray(3), "OUT_OF_RANGE", last + 8);
    const good = new Uint8Array(original.length + 3);
    good.set(original, 3);
    const file = parseElf(good.subarray(3));
    const rel = file.sectionByName(".rel.debug_str_offsets")!;
    const entries = file.relocationSections.find((r) => r.section === rel)!.relocations;
    expect(entries.map((e) => e.offset)).toEqual(
      parsed.relocationSections.find((r) => r.section.index === rel.index)!.relocations.map((e) => e.offset),
    );
  });

  it("with lazyRelocations the entries are checked when read, with the same error", () => {
    const bytes = corrupt((v) => v.setUint32(last + 12, 5000, true));
    const eager = expectError(bytes, "OUT_OF_RANGE", last + 8);
    const file = parseElf(bytes, { lazyRelocations: true });
    const rel = file.relocationSections.find((r) => r.section.index === debug.index)!;
    expect(() => rel.relocations).toThrow(eager.message);
    const code = file.relocationSections.find((r) => !r.section.name.startsWith(".rel.debug"))!;
    expect(code.relocations.length).toBeGreaterThan(0);
  });

  it("big-endian: the same checks on subprogs.bpfeb.o", () => {
    const be = loadFixture("subprogs.bpfeb.o");
    const file = parseElf(be);
    const rel = file.relocationSections.at(-1)!;
    const at = rel.section.offset + rel.section.size - 16;
    const bytes = be.slice();
    new DataView(bytes.buffer).setUint32(at + 8, 5000, false);
    expectError(bytes, "OUT_OF_RANGE", at + 8);
    const high = be.slice();
    new DataView(high.buffer).setUint32(at, 0x20_0000, false);
    expectError(high, "VALUE_TOO_LARGE", at);
  });
});

describe("entries the fast check flags but the exact rules accept", () => {
  // A SHT_NOBITS target may be larger than 4 GiB, so an r_offset with a non-zero high word can be valid.
  const bss: ElfWriteDataSection = { kind: "data", name: ".bss", type: SHT_NOBITS, flags: 3, size: 2 ** 40 };
  const symbol: ElfWriteSymbol = { name: "big", section: bss, type: 1, binding: 1 };
  for (const endianness of ["little", "big"] as const) {
    it(`${endianness}-endian REL entry at 2^36 inside a 2^40-byte .bss`, () => {
      const bytes = writeElf({
        endianness,
        sections: [
          bss,
          {
            kind: "relocations",
            target: bss,
            rela: false,
            relocations: [
              { offset: 8, type: R_BPF_64_ABS64, symbol },
              { offset: 2 ** 36, type: R_BPF_64_ABS64, symbol },
            ],
          },
        ],
        symbols: [symbol],
      });
      const [rel] = parseElf(bytes).relocationSections;
      expect(rel!.relocations.map((e) => [e.offset, e.symbol.name])).toEqual([
        [8, "big"],
        [2 ** 36, "big"],
      ]);
    });
  }

  it("RELA: addends are checked at parse time too", () => {
    const data: ElfWriteDataSection = { kind: "data", name: ".data", type: SHT_PROGBITS, data: new Uint8Array(32) };
    const target: ElfWriteSymbol = { name: "target", section: data, type: 1, binding: 1 };
    const bytes = writeElf({
      sections: [
        data,
        {
          kind: "relocations",
          target: data,
          rela: true,
          relocations: [
            { offset: 8, type: R_BPF_64_ABS64, symbol: target, addend: -16 },
            { offset: 16, type: R_BPF_64_ABS64, symbol: target, addend: 4 },
          ],
        },
      ],
      symbols: [target],
    });
    const rela = parseElf(bytes).relocationSections[0]!;
    expect(rela.relocations.map((e) => e.addend)).toEqual([-16, 4]);
    // Second entry's addend high word → beyond 2^53.
    const at = rela.section.offset + 24 + 16;
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(at + 4, 0x4000_0000, true);
    expectError(bad, "VALUE_TOO_LARGE", at);
    const badSymbol = bytes.slice();
    new DataView(badSymbol.buffer).setUint32(rela.section.offset + 12, 99, true);
    expectError(badSymbol, "OUT_OF_RANGE", rela.section.offset + 8);
  });
});
