// libbpf's ignore_elf_section(): the sections of a BPF object that libbpf's loader and its static linker both skip
// without looking at them. Our loader and linker read objects as libbpf does, so they share this one rule.
import { SHT_LLVM_ADDRSIG, SHT_PROGBITS, SHT_STRTAB } from "./constants.js";

/** What the rule looks at: a section's name, type and size. */
export interface SectionShape {
  readonly name: string;
  readonly type: number;
  readonly size: number;
}

/** String tables, address-significance tables, an empty .text, DWARF, and the relocations of DWARF and BTF. */
export function libbpfIgnoresSection({ name, type, size }: SectionShape): boolean {
  if (type === SHT_STRTAB || type === SHT_LLVM_ADDRSIG) return true;
  if (type === SHT_PROGBITS && size === 0 && name === ".text") return true;
  if (name.startsWith(".debug_")) return true;
  // `.rel` + a DWARF section, .BTF or .BTF.ext, compared in place (no substring per section).
  if (name.startsWith(".rel")) {
    if (name.startsWith(".debug_", 4)) return true;
    if (name === ".rel.BTF" || name === ".rel.BTF.ext") return true;
  }
  return false;
}
