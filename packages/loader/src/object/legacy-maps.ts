// The pre-BTF `SEC("maps")` definitions (`struct bpf_map_def`: type, key_size, value_size, max_entries,
// map_flags — five u32). libbpf >= 1.0 refuses them; cilium/ebpf and aya accept them, so we do too (with a
// warning recorded at layout time). Each symbol in the section names one definition; trailing bytes of larger
// definitions (iproute2's bpf_elf_map) are ignored.

import type { ElfSection, ElfSymbolTable } from "@bpfkit/elf";
import { LoaderError } from "../errors.js";
import { type MapSpec, withMapDefaults } from "./spec.js";

const DEF_SIZE = 20;

export function parseLegacyMaps(section: ElfSection, symtab: ElfSymbolTable, little: boolean): MapSpec[] {
  const symbols = symtab.symbols
    .filter((s) => s.shndx === section.index && s.name !== "" && (s.type === 0 || s.type === 1))
    .sort((a, b) => a.value - b.value);
  const view = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
  return symbols.map((sym) => {
    if (sym.value + DEF_SIZE > section.data.length) {
      throw new LoaderError("BAD_MAP", `legacy map '${sym.name}' at offset ${sym.value} runs past 'maps'`, {
        section: section.name,
        map: sym.name,
        offset: sym.value,
      });
    }
    const u32 = (i: number) => view.getUint32(sym.value + i * 4, little);
    return withMapDefaults({
      name: sym.name,
      kind: "legacy",
      section: section.name,
      sectionOffset: sym.value,
      type: u32(0),
      keySize: u32(1),
      valueSize: u32(2),
      maxEntries: u32(3),
      flags: u32(4),
      contents: undefined,
    });
  });
}
