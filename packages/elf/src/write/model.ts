// The in-memory model `writeElf` turns into an ELF64 relocatable object. Sections and symbols refer to each other
// by object reference, never by index: the writer assigns indices, so a linker can add, drop or move entries
// without renumbering anything itself.
import type { Endianness } from "../types.js";

/** A section whose bytes (or NOBITS size) the caller provides. */
export interface ElfWriteDataSection {
  kind: "data";
  name: string;
  /** SHT_* (PROGBITS, NOBITS, or anything else the writer copies as opaque bytes). */
  type: number;
  flags?: number;
  addr?: number;
  /** Contents, copied as they are (already in the target byte order). Leave out for SHT_NOBITS. */
  data?: Uint8Array;
  /** Size of a SHT_NOBITS section (for other sections it is data.length and may be left out). */
  size?: number;
  /** Power of two, or 0/undefined for no alignment. */
  addralign?: number;
  entsize?: number;
  link?: ElfWriteSection;
  /** A section (for SHF_INFO_LINK) or a plain number. */
  info?: number | ElfWriteSection;
}

/** A SHT_REL (default) or SHT_RELA section, encoded from its entries; sh_link is the symbol table. */
export interface ElfWriteRelocationSection {
  kind: "relocations";
  /** Default: `.rel` + target name, as clang names them (`.relxdp`, `.rel.BTF`); `.rela` for RELA. */
  name?: string;
  target: ElfWriteSection;
  rela?: boolean;
  /** Default SHF_INFO_LINK. */
  flags?: number;
  /** Default 8. */
  addralign?: number;
  relocations: ElfWriteRelocation[];
}

/** Where `.symtab` goes; the writer fills it from `ElfWriteModel.symbols`. */
export interface ElfWriteSymbolTableSection {
  kind: "symtab";
  /** Default `.symtab`. */
  name?: string;
  /** sh_flags, default 0 (the libbpf linker sets SHF_STRINGS on string tables). */
  flags?: number;
}

/** Where the symbol string table goes (also holding section names unless the model has a `shstrtab`). */
export interface ElfWriteStringTableSection {
  kind: "strtab";
  /** Default `.strtab`. */
  name?: string;
  /** sh_flags, default 0 (the libbpf linker sets SHF_STRINGS on string tables). */
  flags?: number;
  /**
   * Share a string's bytes with a longer one it ends (as LLVM does, so tables are as small as clang's); default
   * true. false writes each string once in first-seen order, as libbpf's linker does, without the sort.
   */
  tailMerge?: boolean;
}

/** Where a separate section-name table goes; without one, section names share the `strtab` (as clang does). */
export interface ElfWriteSectionNameTableSection {
  kind: "shstrtab";
  /** Default `.shstrtab`. */
  name?: string;
  /** sh_flags, default 0 (the libbpf linker sets SHF_STRINGS on string tables). */
  flags?: number;
  /** As for the strtab. */
  tailMerge?: boolean;
}

export type ElfWriteSection =
  | ElfWriteDataSection
  | ElfWriteRelocationSection
  | ElfWriteSymbolTableSection
  | ElfWriteStringTableSection
  | ElfWriteSectionNameTableSection;

export interface ElfWriteSymbol {
  name: string;
  value?: number;
  size?: number;
  /** STT_*, default STT_NOTYPE. */
  type?: number;
  /** STB_*, default STB_LOCAL. */
  binding?: number;
  /** STV_*, default STV_DEFAULT. */
  visibility?: number;
  /** The defining section, a reserved index (SHN_ABS, SHN_COMMON), or undefined for an undefined symbol. */
  section?: ElfWriteSection | number;
}

export interface ElfWriteRelocation {
  offset: number;
  /** R_BPF_*. */
  type: number;
  /** A symbol of `ElfWriteModel.symbols`, or undefined for symbol index 0. */
  symbol?: ElfWriteSymbol;
  /** RELA only. */
  addend?: number;
}

export interface ElfWriteModel {
  /** Default little. */
  endianness?: Endianness;
  /** Default EM_BPF. */
  machine?: number;
  /** Default ET_REL. */
  type?: number;
  flags?: number;
  osabi?: number;
  abiVersion?: number;
  /**
   * Sections in output order (section 0 is implicit). A `symtab` and `strtab` are appended at the end when the
   * model has symbols or relocations but does not place them.
   */
  sections: ElfWriteSection[];
  /**
   * Symbols, without the null symbol. The writer emits them locals first (keeping the relative order within each
   * group) and sets `.symtab`'s sh_info to the first non-local, as the ELF spec requires.
   */
  symbols: ElfWriteSymbol[];
}
