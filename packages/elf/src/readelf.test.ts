import { join } from "node:path";
import { expect, it } from "vitest";
import { describeWith } from "../../../test/support/env.js";
import { fixtureDir, fixtureNames, loadFixture, readelfFile } from "../test-support/fixtures.js";
import { STT_SECTION } from "./constants.js";
import { parseElf } from "./elf-file.js";

// Every section, symbol and relocation of every fixture, as llvm-readelf sees them, against our model.
describeWith(["llvm-readelf"], "parseElf agrees with llvm-readelf-19", () => {
  it.each(fixtureNames())("%s", (name) => {
    const file = parseElf(loadFixture(name));
    const oracle = readelfFile(join(fixtureDir, name));

    expect(file.sections.map((s) => s.index)).toEqual(oracle.sections.map((s) => s.Index));
    expect(
      file.sections.map((s) => ({
        name: s.name,
        nameOffset: s.nameOffset,
        type: s.type,
        flags: s.flags,
        addr: s.addr,
        offset: s.offset,
        size: s.size,
        link: s.link,
        info: s.info,
        addralign: s.addralign,
        entsize: s.entsize,
      })),
    ).toEqual(
      oracle.sections.map((s) => ({
        name: s.Name.Name,
        nameOffset: s.Name.Value,
        type: s.Type.Value,
        flags: s.Flags.Value,
        addr: s.Address,
        offset: s.Offset,
        size: s.Size,
        link: s.Link,
        info: s.Info,
        addralign: s.AddressAlignment,
        entsize: s.EntrySize,
      })),
    );
    for (const section of file.sections) {
      expect(section.data.byteOffset - file.bytes.byteOffset).toBe(
        section.type === 8 || section.type === 0 ? 0 : section.offset,
      );
    }

    expect(
      file.symbols.map((s) => ({
        name: s.name,
        nameOffset: s.nameOffset,
        value: s.value,
        size: s.size,
        type: s.type,
        binding: s.binding,
        other: s.other,
        visibility: s.visibility,
        shndx: s.shndx,
        section: s.section?.name,
      })),
    ).toEqual(
      oracle.symbols.map((s) => {
        const shndx = s.Section.Value;
        const real = shndx !== 0 && shndx < 0xff00;
        return {
          // readelf shows a section symbol's section name; the symbol itself has name offset 0.
          name: s.Type.Value === STT_SECTION && s.Name.Value === 0 ? "" : s.Name.Name,
          nameOffset: s.Name.Value,
          value: s.Value,
          size: s.Size,
          type: s.Type.Value,
          binding: s.Binding.Value,
          other: s.Other.Value,
          visibility: s.Other.Value & 3,
          shndx,
          section: real ? s.Section.Name : undefined,
        };
      }),
    );

    expect(file.relocationSections.map((r) => r.section.index)).toEqual(oracle.relocations.map((r) => r.SectionIndex));
    for (const [i, relocationSection] of file.relocationSections.entries()) {
      const expected = oracle.relocations[i]!;
      expect(relocationSection.target.index).toBe(file.sections[expected.SectionIndex]!.info);
      expect(relocationSection.symbolTable.section.index).toBe(file.sections[expected.SectionIndex]!.link);
      expect(
        relocationSection.relocations.map((r) => ({
          offset: r.offset,
          type: r.type,
          symbolIndex: r.symbolIndex,
          // readelf names a section symbol after its section.
          symbolName: r.symbol.type === STT_SECTION ? r.symbol.section?.name : r.symbol.name,
          addend: r.addend,
        })),
      ).toEqual(
        expected.Relocs.map(({ Relocation: r }) => ({
          offset: r.Offset,
          type: r.Type.Value,
          symbolIndex: r.Symbol.Value,
          symbolName: r.Symbol.Name,
          addend: r.Addend ?? 0,
        })),
      );
      expect(
        relocationSection.relocations.every((r) => r.symbol === relocationSection.symbolTable.symbols[r.symbolIndex]),
      ).toBe(true);
    }
    // Sanity: the cross-check is not vacuous.
    expect(file.relocationSections.length).toBeGreaterThan(0);
    expect(file.symbols.length).toBeGreaterThan(1);
  });
});
