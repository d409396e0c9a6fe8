import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { describeWith, useTempDir } from "../../../test/support/env.js";
import { fixtureDir, fixtureNames, loadFixture, type ReadelfView, readelfFile } from "../test-support/fixtures.js";
import { summarize } from "../test-support/summary.js";
import { STB_LOCAL, STT_SECTION } from "./constants.js";
import { type ElfFile, parseElf } from "./elf-file.js";
import { elfToWriteModel } from "./write/from-file.js";
import { writeElf } from "./write/write-elf.js";

// Every section, symbol and relocation of every fixture, as llvm-readelf sees them, against our model.
describeWith(["llvm-readelf"], "parseElf agrees with llvm-readelf-19", () => {
  it.each(fixtureNames())("%s", (name) => {
    compareWithReadelf(parseElf(loadFixture(name)), readelfFile(join(fixtureDir, name)));
  });
});

// Objects other tools write (the libbpf linker, objcopy, strip) have other layouts than clang's.
describeWith(["llvm-readelf", "bpftool"], "parseElf agrees with llvm-readelf-19 on objects other tools wrote", () => {
  const work = useTempDir("bpfkit-elf-tools-");
  const fixture = (name: string) => join(fixtureDir, name);
  const cases: [string, string[]][] = [
    [
      "bpftool gen object (libbpf static linker)",
      ["bpftool", "gen", "object", "OUT", fixture("xdp_parse.bpf.o"), fixture("maps.bpf.o")],
    ],
    ["llvm-objcopy-19", ["llvm-objcopy-19", fixture("globals.bpfeb.o"), "OUT"]],
    ["llvm-strip-19 -g", ["llvm-strip-19", "-g", fixture("subprogs.bpf.o"), "-o", "OUT"]],
    ["llvm-objcopy-19 --only-keep-debug", ["llvm-objcopy-19", "--only-keep-debug", fixture("xdp_parse.bpf.o"), "OUT"]],
  ];
  it.each(cases)("%s", (label, [command, ...args]) => {
    const out = join(work(), `${label.replace(/\W+/g, "_")}.o`);
    execFileSync(
      command!,
      args.map((a) => (a === "OUT" ? out : a)),
      { stdio: "pipe" },
    );
    const bytes = new Uint8Array(readFileSync(out));
    const file = parseElf(bytes);
    compareWithReadelf(file, readelfFile(out));
    // The libbpf linker leaves globals before later locals; our writer puts locals first, as the spec asks.
    const rewritten = parseElf(writeElf(elfToWriteModel(file)));
    expect(summarize(rewritten, { localsFirst: true })).toEqual(summarize(file, { localsFirst: true }));
    const locals = rewritten.symbols.filter((s) => s.binding === STB_LOCAL).length;
    expect(rewritten.symtab!.firstNonLocal).toBe(locals);
    expect(rewritten.symbols.slice(0, locals).every((s) => s.binding === STB_LOCAL)).toBe(true);
  });
});

function compareWithReadelf(file: ElfFile, oracle: ReadelfView): void {
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
}
