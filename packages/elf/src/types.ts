// The parsed model of an ELF64 object. Every number is exact (64-bit fields above 2^53 are rejected while parsing),
// every cross reference (sh_link, sh_info, st_shndx, r_info's symbol) is resolved to the object it names.

export type Endianness = "little" | "big";

/** The ELF file header (`Elf64_Ehdr`), with the `e_ident` bytes split out. */
export interface ElfHeader {
  /** EI_CLASS: always ELFCLASS64 (2) here. */
  readonly class: number;
  /** EI_DATA: ELFDATA2LSB (1) or ELFDATA2MSB (2). */
  readonly data: number;
  readonly endianness: Endianness;
  /** EI_VERSION. */
  readonly identVersion: number;
  readonly osabi: number;
  readonly abiVersion: number;
  readonly type: number;
  readonly machine: number;
  /** e_version. */
  readonly version: number;
  readonly entry: number;
  readonly phoff: number;
  readonly shoff: number;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  /** Number of section headers, after extended numbering (e_shnum 0 → section 0's sh_size). */
  readonly shnum: number;
  /** Index of the section name table, after extended numbering (SHN_XINDEX → section 0's sh_link). */
  readonly shstrndx: number;
}

/** One section header plus a view of its contents. */
export interface ElfSection {
  readonly index: number;
  readonly name: string;
  /** Offset of the name in the section name table. */
  readonly nameOffset: number;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
  /** Zero-copy view on the file bytes (`subarray`); empty for SHT_NOBITS. Do not write through it. */
  readonly data: Uint8Array;
}

/** A string table section with NUL-terminated strings. */
export interface ElfStringTable {
  readonly section: ElfSection;
  /** The string at `offset`; throws `ElfError` (BAD_STRING) if it is out of range or unterminated. */
  get(offset: number): string;
}

export interface ElfSymbol {
  /** Index in its symbol table. */
  readonly index: number;
  readonly name: string;
  readonly nameOffset: number;
  readonly value: number;
  readonly size: number;
  /** STT_* (st_info & 0xf). */
  readonly type: number;
  /** STB_* (st_info >> 4). */
  readonly binding: number;
  /** STV_* (st_other & 3). */
  readonly visibility: number;
  /** st_other as stored. */
  readonly other: number;
  /**
   * Section index after SHN_XINDEX resolution: a real index, SHN_UNDEF, or a reserved value (SHN_ABS, SHN_COMMON).
   */
  readonly shndx: number;
  /** The section the symbol is defined in, when shndx names a real section. */
  readonly section: ElfSection | undefined;
}

/** A SHT_SYMTAB or SHT_DYNSYM section with its symbols. */
export interface ElfSymbolTable {
  readonly section: ElfSection;
  readonly strings: ElfStringTable;
  /** All symbols, index 0 (the null symbol) included, so `symbols[i].index === i`. */
  readonly symbols: readonly ElfSymbol[];
  /** sh_info: index of the first non-local symbol. */
  readonly firstNonLocal: number;
}

export interface ElfRelocation {
  readonly offset: number;
  /** R_BPF_* (low 32 bits of r_info). */
  readonly type: number;
  /** Symbol index (high 32 bits of r_info). */
  readonly symbolIndex: number;
  readonly symbol: ElfSymbol;
  /** RELA only; 0 for REL. */
  readonly addend: number;
}

/** A SHT_REL or SHT_RELA section resolved to the section it patches and the symbols it uses. */
export interface ElfRelocationSection {
  readonly section: ElfSection;
  readonly rela: boolean;
  /** The section the relocations apply to (sh_info). */
  readonly target: ElfSection;
  /** The symbol table the entries refer to (sh_link). */
  readonly symbolTable: ElfSymbolTable;
  readonly relocations: readonly ElfRelocation[];
}

export interface ParseOptions {
  /** Expected e_machine: EM_BPF (247) unless told otherwise; "any" accepts every machine. */
  machine?: number | "any";
  /** Expected e_type: ET_REL (1) unless told otherwise; "any" accepts every type. */
  type?: number | "any";
  /**
   * Check a relocation section's entries when its `relocations` are first read, not at parse (same rules, same
   * error). For callers that never read some sections (the static linker skips DWARF's and .BTF's): a bad entry
   * there then goes unnoticed. The section's own header (entry size, sh_link, sh_info) is still checked at parse.
   */
  lazyRelocations?: boolean;
}
