import { describe, expect, it } from "vitest";
import { fixtureNames, loadFixture } from "../test-support/fixtures.js";
import { SHT_NULL, SHT_PROGBITS, SHT_REL, SHT_SYMTAB } from "./constants.js";
import { parseElf } from "./elf-file.js";

// The lookups are indexes over the lists the readelf test checks; here they must agree with plain scans.
describe("ElfFile lookups agree with scans of the parsed lists", () => {
  it.each(fixtureNames())("%s", (name) => {
    const file = parseElf(loadFixture(name));
    expect(file.sections[0]!.type).toBe(SHT_NULL);
    for (const [i, s] of file.sections.entries()) expect(s.index).toBe(i);
    for (const section of file.sections) {
      expect(file.sectionByName(section.name)).toBe(file.sections.find((s) => s.name === section.name));
      expect(file.symbolsInSection(section)).toEqual(file.symbols.filter((s) => s.section === section));
      expect(file.symbolsInSection(section.index)).toEqual(file.symbolsInSection(section));
      expect(file.relocationsFor(section)).toEqual(
        file.relocationSections.filter((r) => r.section.info === section.index),
      );
    }
    expect(file.sectionByName("no such section")).toBeUndefined();
    for (const type of [SHT_PROGBITS, SHT_REL, SHT_SYMTAB]) {
      expect(file.sectionsByType(type).map((s) => s.index)).toEqual(
        file.sections.filter((s) => s.type === type).map((s) => s.index),
      );
    }
    expect(file.symtab!.section.type).toBe(SHT_SYMTAB);
    expect(file.symtab!.strings.section.index).toBe(file.symtab!.section.link);
    const strtab = file.stringTable(file.symtab!.section.link);
    for (const symbol of file.symbols) expect(strtab.get(symbol.nameOffset)).toBe(symbol.name);
    const names = file.stringTable(file.header.shstrndx);
    for (const section of file.sections) expect(names.get(section.nameOffset)).toBe(section.name);
    expect(() => file.stringTable(file.symtab!.section)).toThrow(/not a string table/);
    expect(() => file.stringTable(10_000)).toThrow(/not a string table/);
    expect(file.symbols[0]).toMatchObject({ index: 0, name: "", shndx: 0, section: undefined });
    // Zero-copy: section data are views on the input bytes.
    for (const s of file.sections) if (s.data.length > 0) expect(s.data.buffer).toBe(file.bytes.buffer);
  });

  it("parses a view into a larger buffer (non-zero byteOffset)", () => {
    const bytes = loadFixture("xdp_parse.bpf.o");
    const padded = new Uint8Array(bytes.length + 13);
    padded.set(bytes, 7);
    const file = parseElf(padded.subarray(7, 7 + bytes.length));
    const reference = parseElf(bytes);
    expect(file.sections.map((s) => [s.name, Buffer.from(s.data).toString("hex")])).toEqual(
      reference.sections.map((s) => [s.name, Buffer.from(s.data).toString("hex")]),
    );
  });
});
