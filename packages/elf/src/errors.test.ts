import { describe, expect, it } from "vitest";
import { loadFixture } from "../test-support/fixtures.js";
import { parseElf } from "./elf-file.js";
import { ElfError, type ElfErrorCode } from "./errors.js";
import type { ParseOptions } from "./types.js";

// Hand-made corruptions of a real clang object, one per error class: each must give an ElfError with the right
// code and the file offset it is about.

const original = loadFixture("xdp_parse.bpf.o");
const originalBe = loadFixture("xdp_parse.bpfeb.o");
const parsed = parseElf(original);
const shoff = parsed.header.shoff;

/** File offset of a field of a section header, found by section name. */
function shdrField(name: string, field: number): number {
  const section = parsed.sections.find((s) => s.name === name);
  if (!section) throw new Error(`fixture has no ${name}`);
  return shoff + section.index * 64 + field;
}
const SH_NAME = 0;
const SH_TYPE = 4;
const SH_OFFSET = 24;
const SH_SIZE = 32;
const SH_LINK = 40;
const SH_INFO = 44;
const SH_ENTSIZE = 56;

function corrupt(edit: (view: DataView, bytes: Uint8Array) => void, from = original): Uint8Array {
  const bytes = from.slice();
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
}

function parseError(bytes: Uint8Array, options?: ParseOptions): ElfError {
  try {
    parseElf(bytes, options);
  } catch (err) {
    expect(err).toBeInstanceOf(ElfError);
    return err as ElfError;
  }
  throw new Error("parseElf accepted a corrupt file");
}

function expectError(bytes: Uint8Array, code: ElfErrorCode, offset?: number, options?: ParseOptions): ElfError {
  const err = parseError(bytes, options);
  expect({ code: err.code, offset: err.offset }).toEqual({ code, offset: offset ?? err.offset });
  expect(err.name).toBe("ElfError");
  return err;
}

describe("ELF header", () => {
  it("TRUNCATED", () => {
    expectError(original.subarray(0, 2), "TRUNCATED", 0);
    expectError(original.subarray(0, 40), "TRUNCATED", 0);
    expectError(new Uint8Array(0), "TRUNCATED", 0);
  });
  it("BAD_MAGIC", () =>
    expectError(
      corrupt((v) => v.setUint8(1, 0x45 ^ 1)),
      "BAD_MAGIC",
      0,
    ));
  it("BAD_CLASS (ELF32)", () =>
    expectError(
      corrupt((v) => v.setUint8(4, 1)),
      "BAD_CLASS",
      4,
    ));
  it("BAD_DATA", () =>
    expectError(
      corrupt((v) => v.setUint8(5, 3)),
      "BAD_DATA",
      5,
    ));
  it("BAD_VERSION", () => {
    expectError(
      corrupt((v) => v.setUint8(6, 0)),
      "BAD_VERSION",
      6,
    );
    expectError(
      corrupt((v) => v.setUint32(0x14, 2, true)),
      "BAD_VERSION",
      0x14,
    );
  });
  it("BAD_MACHINE, unless the caller asks for another machine", () => {
    const x86 = corrupt((v) => v.setUint16(0x12, 62, true));
    const err = expectError(x86, "BAD_MACHINE", 0x12);
    expect(err.expected).toBe(247);
    expect(parseElf(x86, { machine: "any" }).header.machine).toBe(62);
    expect(parseElf(x86, { machine: 62 }).sections.length).toBe(parsed.sections.length);
    expectError(original, "BAD_MACHINE", 0x12, { machine: 62 });
  });
  it("BAD_TYPE (not ET_REL)", () => {
    const exec = corrupt((v) => v.setUint16(0x10, 2, true));
    expectError(exec, "BAD_TYPE", 0x10);
    expect(parseElf(exec, { type: "any" }).header.type).toBe(2);
  });
  it("BAD_HEADER (e_ehsize)", () =>
    expectError(
      corrupt((v) => v.setUint16(0x34, 52, true)),
      "BAD_HEADER",
      0x34,
    ));
  it("BAD_ENTSIZE (e_shentsize)", () =>
    expectError(
      corrupt((v) => v.setUint16(0x3a, 40, true)),
      "BAD_ENTSIZE",
      0x3a,
    ));
  it("VALUE_TOO_LARGE (e_shoff above 2^53)", () =>
    expectError(
      corrupt((v) => v.setUint32(0x2c, 0x0100_0000, true)),
      "VALUE_TOO_LARGE",
      0x28,
    ));
});

describe("section header table", () => {
  it("truncated file: the table extends past the end", () => {
    const err = expectError(original.subarray(0, original.length - 100), "TRUNCATED", shoff);
    expect(err.message).toMatch(/extend past end of file/);
    expectError(
      corrupt((v) => v.setBigUint64(0x28, BigInt(original.length), true)),
      "TRUNCATED",
    );
  });
  it("e_shnum too large for the file is rejected before allocating", () =>
    expectError(
      corrupt((v) => v.setUint16(0x3c, 0xfeff, true)),
      "TRUNCATED",
      shoff,
    ));
  it("extended count (e_shnum 0) taken from section 0, checked against the file", () => {
    const err = expectError(
      corrupt((v) => {
        v.setUint16(0x3c, 0, true);
        v.setUint32(shoff + SH_SIZE, 2 ** 31, true);
      }),
      "TRUNCATED",
      shoff,
    );
    expect(err.message).toContain("2147483648 entries");
  });
  it("e_shstrndx past the table or not a string table", () => {
    expectError(
      corrupt((v) => v.setUint16(0x3e, 200, true)),
      "BAD_LINK",
      0x3e,
    );
    const text = parsed.sectionByName(".text")!.index;
    expectError(
      corrupt((v) => v.setUint16(0x3e, text, true)),
      "BAD_LINK",
      0x3e,
    );
  });
  it("OUT_OF_RANGE: section contents past the end of the file, with section and offsets in the message", () => {
    const rel = parsed.sectionByName(".relxdp")!;
    const err = expectError(
      corrupt((v) => v.setUint32(shdrField(".relxdp", SH_SIZE), 0x10000, true)),
      "OUT_OF_RANGE",
      rel.offset,
    );
    expect(err.section).toEqual({ index: rel.index, name: ".relxdp" });
    expect(err.message).toBe(
      `section header ${rel.index} (.relxdp): contents extend past end of file (offset 0x${rel.offset.toString(16)} + 0x10000 > size 0x${original.length.toString(16)})`,
    );
  });
  it("OVERLAP: two sections sharing bytes", () => {
    const text = parsed.sectionByName(".text")!;
    const err = expectError(
      corrupt((v) => v.setUint32(shdrField("xdp", SH_OFFSET), text.offset + 8, true)),
      "OVERLAP",
    );
    expect(err.message).toMatch(/overlaps/);
    // A section on top of the section header table.
    expectError(
      corrupt((v) => v.setUint32(shdrField(".text", SH_OFFSET), shoff, true)),
      "OVERLAP",
      shoff,
    );
  });
  it("BAD_STRING: a section name past the name table or without a terminator", () => {
    const strtab = parsed.sectionByName(".strtab")!;
    const badName = expectError(
      corrupt((v) => v.setUint32(shdrField(".text", SH_NAME), strtab.size + 5, true)),
      "BAD_STRING",
      shdrField(".text", SH_NAME),
    );
    expect(badName.section).toEqual({ index: parsed.sectionByName(".text")!.index });
    const unterminated = corrupt((_v, b) =>
      b.fill(0x41, strtab.offset + strtab.size - 12, strtab.offset + strtab.size),
    );
    const err = expectError(unterminated, "BAD_STRING");
    expect(err.message).toMatch(/no NUL terminator/);
  });
  it("BAD_LINK: sh_link / sh_info naming no section", () => {
    expectError(
      corrupt((v) => v.setUint32(shdrField(".relxdp", SH_LINK), 999, true)),
      "BAD_LINK",
      shdrField(".relxdp", SH_LINK),
    );
    expectError(
      corrupt((v) => v.setUint32(shdrField(".relxdp", SH_INFO), 999, true)),
      "BAD_LINK",
      shdrField(".relxdp", SH_INFO),
    );
  });
});

describe("symbol table", () => {
  it("BAD_ENTSIZE", () => {
    expectError(
      corrupt((v) => v.setUint32(shdrField(".symtab", SH_ENTSIZE), 16, true)),
      "BAD_ENTSIZE",
      shdrField(".symtab", SH_ENTSIZE),
    );
    const size = parsed.sectionByName(".symtab")!.size;
    expectError(
      corrupt((v) => v.setUint32(shdrField(".symtab", SH_SIZE), size - 4, true)),
      "BAD_ENTSIZE",
      shdrField(".symtab", SH_SIZE),
    );
  });
  it("BAD_LINK: a symtab linked to itself or to a non-string table", () => {
    const symtab = parsed.sectionByName(".symtab")!.index;
    const err = expectError(
      corrupt((v) => v.setUint32(shdrField(".symtab", SH_LINK), symtab, true)),
      "BAD_LINK",
    );
    expect(err.message).toMatch(/itself/);
    const text = parsed.sectionByName(".text")!.index;
    expectError(
      corrupt((v) => v.setUint32(shdrField(".symtab", SH_LINK), text, true)),
      "BAD_LINK",
    );
  });
  it("OUT_OF_RANGE: sh_info (first global) past the symbols", () =>
    expectError(
      corrupt((v) => v.setUint32(shdrField(".symtab", SH_INFO), 1000, true)),
      "OUT_OF_RANGE",
    ));
  it("OUT_OF_RANGE: a symbol's section index past the table", () => {
    const symtab = parsed.sectionByName(".symtab")!;
    const at = symtab.offset + 4 * 24 + 6; // parse_ipv4
    expectError(
      corrupt((v) => v.setUint16(at, 500, true)),
      "OUT_OF_RANGE",
      at,
    );
  });
  it("BAD_LINK: SHN_XINDEX without a SHT_SYMTAB_SHNDX section", () => {
    const at = parsed.sectionByName(".symtab")!.offset + 4 * 24 + 6;
    expectError(
      corrupt((v) => v.setUint16(at, 0xffff, true)),
      "BAD_LINK",
      at,
    );
  });
  it("BAD_STRING: a symbol name past the string table", () => {
    const at = parsed.sectionByName(".symtab")!.offset + 4 * 24;
    const err = expectError(
      corrupt((v) => v.setUint32(at, 0xffff, true)),
      "BAD_STRING",
      at,
    );
    expect(err.message).toMatch(/^section header \d+ \(\.symtab\) symbol 4: bad st_name: .*past the table/);
  });
  it("VALUE_TOO_LARGE: a symbol value above 2^53", () => {
    const at = parsed.sectionByName(".symtab")!.offset + 4 * 24 + 8;
    expectError(
      corrupt((v) => v.setBigUint64(at, 2n ** 60n, true)),
      "VALUE_TOO_LARGE",
      at,
    );
  });
});

describe("relocations", () => {
  const rel = parsed.sectionByName(".relxdp")!;
  it("BAD_ENTSIZE", () => {
    expectError(
      corrupt((v) => v.setUint32(shdrField(".relxdp", SH_ENTSIZE), 24, true)),
      "BAD_ENTSIZE",
    );
    expectError(
      corrupt((v) => v.setUint32(shdrField(".relxdp", SH_SIZE), rel.size - 8, true)),
      "BAD_ENTSIZE",
    );
  });
  it("BAD_LINK: sh_link not a symbol table, sh_info zero or itself", () => {
    const text = parsed.sectionByName(".text")!.index;
    expectError(
      corrupt((v) => v.setUint32(shdrField(".relxdp", SH_LINK), text, true)),
      "BAD_LINK",
    );
    expectError(
      corrupt((v) => v.setUint32(shdrField(".relxdp", SH_LINK), rel.index, true)),
      "BAD_LINK",
    );
    expectError(
      corrupt((v) => v.setUint32(shdrField(".relxdp", SH_INFO), 0, true)),
      "BAD_LINK",
    );
    const err = expectError(
      corrupt((v) => v.setUint32(shdrField(".relxdp", SH_INFO), rel.index, true)),
      "BAD_LINK",
    );
    expect(err.section).toEqual({ index: rel.index, name: ".relxdp" });
  });
  it("OUT_OF_RANGE: symbol index past the symbol table", () => {
    const at = rel.offset + 8;
    expectError(
      corrupt((v) => v.setUint32(at + 4, 5000, true)),
      "OUT_OF_RANGE",
      at,
    );
  });
  it("OUT_OF_RANGE: offset past the target section", () =>
    expectError(
      corrupt((v) => v.setUint32(rel.offset, 0x10000, true)),
      "OUT_OF_RANGE",
      rel.offset,
    ));
  it("big-endian files are checked the same way", () => {
    const be = parseElf(originalBe);
    const relBe = be.sectionByName(".relxdp")!;
    const at = relBe.offset + 8; // r_info high word (symbol) comes first in big-endian
    expectError(
      corrupt((v) => v.setUint32(at, 5000, false), originalBe),
      "OUT_OF_RANGE",
      at,
    );
    expectError(
      corrupt((v) => v.setUint32(0x14, 2, false), originalBe),
      "BAD_VERSION",
      0x14,
    );
  });
});

it("the section type decides what is read: a corrupt type turns a symtab into opaque bytes", () => {
  // Not an error: readelf accepts it too. Relocations that pointed at it now have no symbol table.
  const err = expectError(
    corrupt((v) => v.setUint32(shdrField(".symtab", SH_TYPE), 1, true)),
    "BAD_LINK",
  );
  expect(err.message).toMatch(/must name a symbol table/);
});

describe("64-bit section header fields", () => {
  const SH_ADDR = 16;
  const SH_ADDRALIGN = 48;
  it("VALUE_TOO_LARGE above 2^53, at the field, in both byte orders", () => {
    const err = expectError(
      corrupt((v) => v.setBigUint64(shdrField(".text", SH_ADDRALIGN), 2n ** 60n, true)),
      "VALUE_TOO_LARGE",
      shdrField(".text", SH_ADDRALIGN),
    );
    expect(err.message).toMatch(/sh_addralign/);
    const be = parseElf(originalBe);
    const text = be.sectionByName(".text")!;
    const at = be.header.shoff + text.index * 64 + SH_ADDR;
    expectError(
      corrupt((v) => v.setBigUint64(at, 2n ** 53n, false), originalBe),
      "VALUE_TOO_LARGE",
      at,
    );
  });
  it("a value with a non-zero high word below 2^53 is read exactly", () => {
    const bytes = corrupt((v) => v.setBigUint64(shdrField(".text", SH_ADDR), 2n ** 52n + 5n, true));
    expect(parseElf(bytes).sectionByName(".text")!.addr).toBe(2 ** 52 + 5);
  });
});
