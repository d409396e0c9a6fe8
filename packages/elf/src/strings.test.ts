import { describe, expect, it } from "vitest";
import { SHT_PROGBITS, SHT_STRTAB, STB_GLOBAL, STT_OBJECT } from "./constants.js";
import { parseElf } from "./elf-file.js";
import { ElfError } from "./errors.js";
import { SectionStringTable } from "./strings.js";
import type { ElfSection } from "./types.js";
import type { ElfWriteDataSection, ElfWriteSymbol } from "./write/model.js";
import { writeElf } from "./write/write-elf.js";

// A string table is decoded whole (small, ASCII) or name by name (large, or with UTF-8); both must give the same
// strings and the same errors.

function table(bytes: number[] | Uint8Array): SectionStringTable {
  const data = Uint8Array.from(bytes);
  const section: ElfSection = {
    index: 3,
    name: ".strtab",
    nameOffset: 0,
    type: SHT_STRTAB,
    flags: 0,
    addr: 0,
    offset: 0x100,
    size: data.length,
    link: 0,
    info: 0,
    addralign: 1,
    entsize: 0,
    data,
  };
  return new SectionStringTable(section);
}

const encode = (s: string) => [...new TextEncoder().encode(s)];

describe("SectionStringTable", () => {
  it("reads ASCII names, including suffixes of other names, from a table decoded whole", () => {
    const strings = table([0, ...encode(".rel.text"), 0, ...encode("xdp"), 0]);
    expect(strings.get(0)).toBe("");
    expect(strings.get(1)).toBe(".rel.text");
    expect(strings.get(5)).toBe(".text");
    expect(strings.get(11)).toBe("xdp");
    expect(strings.get(14)).toBe("");
  });

  it("reads UTF-8 names (the table is then decoded name by name)", () => {
    const strings = table([0, ...encode("données"), 0, ...encode("map_ü"), 0, ...encode("ascii"), 0]);
    expect(strings.get(1)).toBe("données");
    expect(strings.get(10)).toBe("map_ü");
    expect(strings.get(17)).toBe("ascii");
  });

  it("reads a table over 64 KiB name by name, with the same results", () => {
    const names = Array.from({ length: 3000 }, (_, i) => `a_rather_long_symbol_name_${i}`);
    const bytes = [0, ...names.flatMap((n) => [...encode(n), 0])];
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    const strings = table(bytes);
    let at = 1;
    for (const name of names) {
      expect(strings.get(at)).toBe(name);
      at += name.length + 1;
    }
  });

  it("keeps its errors: offset past the table, no terminator", () => {
    const strings = table([0, ...encode("abc")]);
    expect(() => strings.get(4)).toThrow(ElfError);
    const unterminated = (() => {
      try {
        strings.get(1);
      } catch (err) {
        return err as ElfError;
      }
      throw new Error("no error");
    })();
    expect(unterminated.code).toBe("BAD_STRING");
    expect(unterminated.offset).toBe(0x101);
    const past = (() => {
      try {
        table([0, 0x61, 0]).get(9);
      } catch (err) {
        return err as ElfError;
      }
      throw new Error("no error");
    })();
    expect({ code: past.code, offset: past.offset }).toEqual({ code: "BAD_STRING", offset: 0x109 });
  });
});

it("an object with UTF-8 section and symbol names round-trips through writeElf and parseElf", () => {
  const data: ElfWriteDataSection = {
    kind: "data",
    name: ".data.données",
    type: SHT_PROGBITS,
    data: new Uint8Array(8),
  };
  const symbols: ElfWriteSymbol[] = [
    { name: "compteur_été", type: STT_OBJECT, binding: STB_GLOBAL, section: data },
    { name: "plain", type: STT_OBJECT, binding: STB_GLOBAL, section: data, value: 4 },
  ];
  const file = parseElf(writeElf({ sections: [data], symbols }));
  expect(file.sectionByName(".data.données")?.size).toBe(8);
  expect(file.symbols.map((s) => s.name)).toContain("compteur_été");
  expect(file.symbols.map((s) => s.name)).toContain("plain");
});
