// The linked object through @bpfkit/elf's general writer: a model of the output's sections, symbols and
// relocations, written by writeElf (which handles extended section numbering, needed past 0xff00 sections).
// write-object.ts writes the same bytes straight from the link state, and is what links normally use.

import {
  type ElfWriteModel,
  type ElfWriteSection,
  type ElfWriteSymbol,
  SHF_STRINGS,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  writeElf,
} from "@bpfkit/elf";
import type { OutSymbol } from "./output.js";
import type { LinkState } from "./state.js";

export function writeWithModel(state: LinkState, btf: Uint8Array | undefined, ext: Uint8Array | undefined): Uint8Array {
  // Models by OutSection.id and by OutSymbol.index (arrays: no hash map per link).
  const written: (ElfWriteSection | undefined)[] = new Array(state.sections.length + 1);
  const sections: ElfWriteSection[] = [
    { kind: "strtab", name: ".strtab", flags: SHF_STRINGS, tailMerge: false },
    { kind: "symtab", name: ".symtab" },
  ];
  for (const sec of state.elfSections) {
    if (sec.type === SHT_REL) continue;
    const model: ElfWriteSection = {
      kind: "data",
      name: sec.name,
      type: sec.type,
      flags: sec.flags,
      addralign: sec.align,
      entsize: sec.entsize,
      ...(sec.type === SHT_NOBITS ? { size: sec.size } : { data: sec.data }),
    };
    written[sec.id] = model;
  }
  const symbols: (ElfWriteSymbol | undefined)[] = new Array(state.symbols.length);
  const symbolOf = (sym: OutSymbol): ElfWriteSymbol => {
    let out = symbols[sym.index];
    if (!out) {
      out = {
        name: sym.name,
        value: sym.value,
        size: sym.size,
        type: sym.type,
        binding: sym.binding,
        visibility: sym.visibility,
        section: typeof sym.section === "number" ? sym.section : sym.section && written[sym.section.id],
      };
      symbols[sym.index] = out;
    }
    return out;
  };
  for (const sym of state.symbols) symbolOf(sym);
  for (const sec of state.elfSections) {
    if (sec.type !== SHT_REL) {
      sections.push(written[sec.id]!);
      continue;
    }
    sections.push({
      kind: "relocations",
      name: sec.name,
      target: written[sec.target!.id]!,
      flags: sec.flags,
      addralign: sec.align,
      relocations: sec.relocations.map((r) =>
        r.symbol ? { offset: r.offset, type: r.type, symbol: symbolOf(r.symbol) } : { offset: r.offset, type: r.type },
      ),
    });
  }
  if (btf) {
    sections.push({ kind: "data", name: ".BTF", type: SHT_PROGBITS, addralign: 8, data: btf });
    if (ext) sections.push({ kind: "data", name: ".BTF.ext", type: SHT_PROGBITS, addralign: 8, data: ext });
  }
  const model: ElfWriteModel = {
    endianness: state.littleEndian === false ? "big" : "little",
    sections,
    symbols: state.symbols.map(symbolOf),
  };
  return writeElf(model);
}
