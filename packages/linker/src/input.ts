// One input object, read and checked the way libbpf's linker does before it merges anything
// (linker_load_obj_file, linker_sanity_check_*, linker_fixup_btf): sections classified, symbols and relocations
// validated, .BTF and .BTF.ext parsed by @bpfkit/btf, and DATASEC sizes and VAR offsets filled in from the ELF.

import { Btf, BtfError, type BtfExt, Kind, Linkage, parseBtfExtOffsets } from "@bpfkit/btf";
import {
  ElfError,
  type ElfFile,
  type ElfRelocationSection,
  type ElfSection,
  type ElfSymbol,
  type ElfSymbolTable,
  isElf,
  libbpfIgnoresSection,
  parseElf,
  R_BPF_64_32,
  R_BPF_64_64,
  R_BPF_64_ABS32,
  R_BPF_64_ABS64,
  SHF_EXECINSTR,
  SHN_LORESERVE,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_SYMTAB,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_NOTYPE,
  STT_OBJECT,
  STT_SECTION,
  STV_DEFAULT,
  STV_HIDDEN,
} from "@bpfkit/elf";
import { LinkError } from "./errors.js";
import type { OutSection } from "./output.js";

const EM_BPF = 247;
const NO_DATA = new Uint8Array(0);
const ET_REL = 1;
const INSN_SIZE = 8;
/** Clang's DATASEC for extern variables without a section; resolved by the linker, never an ELF section. */
export const EXTERN_DATASEC = ".extern";

/** The header fields an input section reads: its ElfSection, or a stand-in for an ephemeral section. */
type SectionHeader = Pick<ElfSection, "index" | "name" | "type" | "flags" | "entsize" | "addralign" | "size" | "data">;

/**
 * One section of an input: its ELF header (read through, not copied: every section of every input gets one of
 * these) and where the link put it.
 */
export class InputSection {
  /** Left out of the output (ignored kinds, .BTF/.BTF.ext, a deduplicated license/version). */
  skipped: boolean;
  /** Its BTF DATASEC, 0 when it has none. */
  datasecId = 0;
  /** Offsets of the DATASEC's entries, global VARs' taken from their symbols (see fixupDatasecs). */
  varOffsets: number[] | undefined = undefined;
  /** Where it went: the output section and its offset there. */
  out: OutSection | undefined = undefined;
  outOffset = 0;

  constructor(
    private readonly header: SectionHeader,
    /** A DATASEC without an ELF section (.kconfig, .ksyms, ...). */
    readonly ephemeral: boolean,
    skipped: boolean,
  ) {
    this.skipped = skipped;
  }

  /** ELF section index; 0 for an ephemeral section. */
  get index(): number {
    return this.header.index;
  }
  get name(): string {
    return this.header.name;
  }
  get type(): number {
    return this.header.type;
  }
  get flags(): number {
    return this.header.flags;
  }
  get entsize(): number {
    return this.header.entsize;
  }
  get align(): number {
    return this.header.addralign;
  }
  get size(): number {
    return this.header.size;
  }
  get data(): Uint8Array {
    return this.header.data;
  }
}

export interface LinkInput {
  /** Unique among the inputs read in this process (see LinkState.mergedString). */
  readonly serial: number;
  readonly name: string;
  readonly elf: ElfFile;
  readonly littleEndian: boolean;
  /** ELF sections by index (entry 0 is the null section), then the ephemeral ones. */
  readonly sections: InputSection[];
  readonly symtab: ElfSymbolTable;
  readonly relocations: readonly ElfRelocationSection[];
  /** The object's BTF as parsed (DATASEC fixups live in InputSection.varOffsets); undefined when it has none. */
  readonly btf: Btf | undefined;
  /** Its .BTF.ext, each record given as its byte offset in the section (read through extView). */
  readonly ext: BtfExt<number, number, number> | undefined;
  readonly extView: DataView | undefined;
  /**
   * Its BTF string offset → merged BTF string offset + 1 (0: not added yet), when its strings are too many for
   * the shared map; see LinkState.mergedString.
   */
  stringMap?: Uint32Array;
}

/** The first section (ELF or ephemeral) with this name, as libbpf's find_src_sec_by_name. */
export function inputSectionByName(input: LinkInput, name: string): InputSection | undefined {
  for (let i = 1; i < input.sections.length; i++) if (input.sections[i]!.name === name) return input.sections[i];
  return undefined;
}

let nextSerial = 0;

export function readInput(name: string, bytes: Uint8Array): LinkInput {
  const bad = (message: string, section?: string): never => {
    throw new LinkError("BAD_INPUT", message, { input: name, ...(section ? { section } : {}) });
  };
  // The header's class, machine and type first, so a non-BPF ELF (an executable) is named as such.
  if (isElf(bytes) && bytes.length >= 20) {
    const le = bytes[5] === 1;
    const view = new DataView(bytes.buffer, bytes.byteOffset, 20);
    if (bytes[4] !== 2 || view.getUint16(18, le) !== EM_BPF || view.getUint16(16, le) !== ET_REL) {
      throw new LinkError("NOT_BPF", "not a 64-bit BPF relocatable object (e_machine EM_BPF, e_type ET_REL)", {
        input: name,
      });
    }
  }
  let elf: ElfFile;
  try {
    elf = parseElf(bytes, { lazyRelocations: true });
    // Entries are checked as they are built: build now those the linker reads, so a bad one is still BAD_ELF
    // before anything else; those of dropped sections (DWARF's, .BTF's) are never read, as in libbpf.
    for (const rel of elf.relocationSections) {
      const { section: s, target: t } = rel;
      if (!libbpfIgnoresSection(s) && !libbpfIgnoresSection(t)) void rel.relocations;
    }
  } catch (e) {
    if (e instanceof ElfError)
      throw new LinkError("BAD_ELF", `not a valid ELF file: ${e.message}`, { input: name }, { cause: e });
    throw e;
  }
  const symtabs = elf.symbolTables.filter((t) => t.section.type === SHT_SYMTAB);
  if (symtabs.length === 0) bad("ELF is missing SYMTAB section");
  if (symtabs.length > 1) bad("multiple SYMTAB sections found, not supported");
  const symtab = symtabs[0]!;

  const sections: InputSection[] = new Array(elf.sections.length);
  for (let i = 0; i < sections.length; i++) {
    const s = elf.sections[i]!;
    sections[i] = new InputSection(s, false, i === 0 || libbpfIgnoresSection(s));
  }
  let btfBytes: Uint8Array | undefined;
  let extBytes: Uint8Array | undefined;
  for (const sec of sections) {
    if (sec.index === 0) continue;
    if (sec.name === "") bad(`ELF section #${sec.index} has empty name`);
    if (sec.align && (sec.align & (sec.align - 1)) !== 0) {
      bad(`section '${sec.name}' has alignment ${sec.align}, not a power of 2`, sec.name);
    }
    if (sec.skipped) continue;
    switch (sec.type) {
      case SHT_SYMTAB:
        if (sec.entsize !== 24 || sec.size % 24 !== 0) bad("SYMTAB entry size is not 24", sec.name);
        break;
      case SHT_PROGBITS:
        if (sec.name === ".BTF") {
          btfBytes = sec.data;
          sec.skipped = true;
        } else if (sec.name === ".BTF.ext") {
          extBytes = sec.data;
          sec.skipped = true;
        } else if (sec.flags & SHF_EXECINSTR && sec.size % INSN_SIZE !== 0) {
          bad(`code section '${sec.name}' size ${sec.size} is not a multiple of ${INSN_SIZE}`, sec.name);
        }
        break;
      case SHT_NOBITS:
      case SHT_REL:
        break;
      default:
        bad(`unrecognized section #${sec.index} (${sec.name}) of type ${sec.type}`, sec.name);
    }
  }
  checkSymbols(name, symtab, sections);
  const relocations = elf.relocationSections.filter((r) => !sections[r.section.index]!.skipped);
  for (const rel of relocations) checkRelocations(name, rel, symtab, sections);

  let btf: Btf | undefined;
  let ext: BtfExt<number, number, number> | undefined;
  try {
    if (btfBytes) btf = Btf.parse(btfBytes);
    if (extBytes) {
      if (!btf) throw new LinkError("BAD_BTF", "has .BTF.ext but no .BTF", { input: name, section: ".BTF.ext" });
      ext = parseBtfExtOffsets(extBytes, { btf });
      checkExtReferences(name, btf, ext, extBytes, ext.littleEndian);
    }
  } catch (e) {
    if (e instanceof BtfError)
      throw new LinkError("BAD_BTF", e.message, { input: name, section: e.section ?? ".BTF" }, { cause: e });
    throw e;
  }
  const input: LinkInput = {
    serial: nextSerial++,
    name,
    elf,
    littleEndian: elf.endianness === "little",
    sections,
    symtab,
    relocations,
    btf,
    ext,
    extView: extBytes && new DataView(extBytes.buffer, extBytes.byteOffset, extBytes.byteLength),
  };
  if (btf) fixupDatasecs(input, btf);
  return input;
}

function checkSymbols(input: string, symtab: ElfSymbolTable, sections: readonly InputSection[]): void {
  const bad = (message: string): never => {
    throw new LinkError("BAD_INPUT", message, { input, section: symtab.section.name });
  };
  for (const sym of symtab.symbols) {
    if (sym.index === 0) {
      if (sym.nameOffset || sym.type || sym.binding || sym.other || sym.shndx || sym.value || sym.size) {
        bad("ELF symbol #0 is not all zeros");
      }
      continue;
    }
    if (sym.binding !== STB_LOCAL && sym.binding !== STB_GLOBAL && sym.binding !== STB_WEAK) {
      bad(`symbol #${sym.index} (${sym.name}) has unsupported binding ${sym.binding}`);
    }
    if (sym.visibility !== STV_DEFAULT && sym.visibility !== STV_HIDDEN) {
      bad(`symbol #${sym.index} (${sym.name}) has unsupported visibility ${sym.visibility}`);
    }
    if (sym.shndx === 0) {
      if (sym.type !== STT_NOTYPE || sym.binding === STB_LOCAL || sym.value !== 0 || sym.size !== 0) {
        bad(`symbol #${sym.index} (${sym.name}) is an invalid extern symbol`);
      }
      continue;
    }
    if (sym.shndx < SHN_LORESERVE && sym.shndx >= sections.length) {
      bad(`symbol #${sym.index} (${sym.name}) points to missing section #${sym.shndx}`);
    }
    if (sym.type === STT_SECTION && sym.value !== 0) bad(`section symbol #${sym.index} has a non-zero value`);
  }
}

const RELOCATION_TYPES = new Set([R_BPF_64_64, R_BPF_64_32, R_BPF_64_ABS64, R_BPF_64_ABS32]);

function checkRelocations(
  input: string,
  rel: ElfRelocationSection,
  symtab: ElfSymbolTable,
  sections: readonly InputSection[],
): void {
  const name = rel.section.name;
  const bad = (message: string): never => {
    throw new LinkError("BAD_INPUT", message, { input, section: name });
  };
  if (rel.rela) bad("RELA sections are not supported");
  if (rel.section.entsize !== 16) bad(`relocation entry size is ${rel.section.entsize}, not 16`);
  if (rel.symbolTable !== symtab) bad("relocation section does not use the SYMTAB");
  const target = sections[rel.target.index]!;
  if (name !== `.rel${target.name}`) bad(`relocation section for '${target.name}' is not named '.rel${target.name}'`);
  if (target.skipped) return;
  if (target.type !== SHT_PROGBITS && target.type !== SHT_NOBITS)
    bad(`relocations apply to '${target.name}', not data or code`);
  const exec = (target.flags & SHF_EXECINSTR) !== 0;
  const entries = rel.relocations;
  for (let i = 0; i < entries.length; i++) {
    const r = entries[i]!;
    if (!RELOCATION_TYPES.has(r.type)) bad(`relocation #${i} has unexpected type ${r.type}`);
    if (r.symbolIndex === 0) bad(`relocation #${i} points to symbol #0`);
    if (exec && r.offset % INSN_SIZE !== 0) bad(`relocation #${i} at offset ${r.offset} is not at an instruction`);
  }
}

function checkExtReferences(
  input: string,
  btf: Btf,
  ext: BtfExt<number, number, number>,
  bytes: Uint8Array,
  le: boolean,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Records are byte offsets: func_info {insn_off, type_id}, line_info {insn_off, file_name_off, line_off, ...},
  // core_relo {insn_off, type_id, access_str_off, kind}. Checks are inline (no closure per input).
  for (const sec of ext.funcInfo?.sections ?? []) {
    if (!btf.strings.has(sec.nameOff)) extOutOfRange(input, "string offset", sec.nameOff);
    for (const at of sec.records) {
      const id = view.getUint32(at + 4, le);
      if (id >= btf.typeCount) extOutOfRange(input, "type id", id);
    }
  }
  for (const sec of ext.lineInfo?.sections ?? []) {
    if (!btf.strings.has(sec.nameOff)) extOutOfRange(input, "string offset", sec.nameOff);
    for (const at of sec.records) {
      const file = view.getUint32(at + 4, le);
      if (!btf.strings.has(file)) extOutOfRange(input, "string offset", file);
      const line = view.getUint32(at + 8, le);
      if (!btf.strings.has(line)) extOutOfRange(input, "string offset", line);
    }
  }
  for (const sec of ext.coreRelo?.sections ?? []) {
    if (!btf.strings.has(sec.nameOff)) extOutOfRange(input, "string offset", sec.nameOff);
    for (const at of sec.records) {
      const id = view.getUint32(at + 4, le);
      if (id >= btf.typeCount) extOutOfRange(input, "type id", id);
      const access = view.getUint32(at + 8, le);
      if (!btf.strings.has(access)) extOutOfRange(input, "string offset", access);
    }
  }
}

function extOutOfRange(input: string, what: string, value: number): never {
  throw new LinkError("BAD_BTF", `.BTF.ext ${what} ${value} is out of range`, { input, section: ".BTF.ext" });
}

/** The first STT_OBJECT symbol named `name` in section `shndx` (a loop: no closure per variable). */
function objectSymbol(symbols: readonly ElfSymbol[], shndx: number, name: string): ElfSymbol | undefined {
  for (const s of symbols) if (s.shndx === shndx && s.type === STT_OBJECT && s.name === name) return s;
  return undefined;
}

/**
 * libbpf's linker_fixup_btf: a DATASEC's global VARs get their symbols' offsets (clang leaves them 0), kept as
 * the section's varOffsets rather than patched into a copy of the type words (libbpf also sets the DATASEC's size,
 * which nothing reads: DATASECs are written anew at the end); a DATASEC without an ELF section becomes an
 * ephemeral input section.
 */
function fixupDatasecs(input: LinkInput, btf: Btf): void {
  for (let id = btf.firstOwnId; id < btf.typeCount; id++) {
    if (btf.kind(id) !== Kind.DATASEC) continue;
    const secName = btf.nameOf(id);
    let sec = inputSectionByName(input, secName);
    if (!sec) {
      if (secName === EXTERN_DATASEC) continue;
      const header = { index: 0, name: secName, type: 0, flags: 0, entsize: 0, addralign: 0, size: 0, data: NO_DATA };
      sec = new InputSection(header, true, false);
      input.sections.push(sec);
    }
    sec.datasecId = id;
    const vlen = btf.vlen(id);
    const offsets: number[] = new Array(vlen);
    sec.varOffsets = offsets;
    for (let j = 0; j < vlen; j++) {
      const varId = btf.datasecVarType(id, j);
      offsets[j] = btf.datasecVarOffset(id, j);
      if (btf.kind(varId) !== Kind.VAR || btf.linkage(varId) !== Linkage.GLOBAL) continue;
      const varName = btf.nameOf(varId);
      const sym = objectSymbol(input.symtab.symbols, sec.index, varName);
      if (!sym) {
        throw new LinkError("BAD_BTF", `failed to find symbol for variable '${varName}' in section '${secName}'`, {
          input: input.name,
          section: secName,
          symbol: varName,
        });
      }
      offsets[j] = sym.value;
    }
  }
}
