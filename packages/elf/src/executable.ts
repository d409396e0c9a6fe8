// Executables and shared objects (ET_EXEC, ET_DYN) as uprobes see them: the kernel places a uprobe at a *file
// offset* of the binary, so a function's address (st_value: absolute in a non-PIE executable, relative to the load
// base in a PIE or a .so) is mapped to the offset of its bytes through the PT_LOAD segment that contains it (the
// section that holds it when the file has no program headers). Symbols are looked up as libbpf does for
// `uprobe/PATH:func`: defined functions (STT_FUNC, and STT_GNU_IFUNC here), `name` also matching `name@VERSION`,
// `name@VERSION` / `name@@VERSION` checked against the symbol versions of .dynsym, one non-weak definition at most.

import { ByteReader } from "./byte-reader.js";
import { ET_DYN, ET_EXEC, SHN_UNDEF, SHT_DYNSYM, SHT_SYMTAB, STB_WEAK, STT_FUNC } from "./constants.js";
import { ElfError, type ElfErrorContext, hex } from "./errors.js";
import { readHeader } from "./header.js";
import { readSectionTable } from "./section-table.js";
import { readSymbolTable } from "./symbols.js";
import type { ElfHeader, ElfSection, ElfSymbol, ElfSymbolTable } from "./types.js";

/** `p_type` values. */
export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
/** `p_flags` bits. */
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
/** `st_info & 0xf` of an indirect function (its value is the resolver's address). */
export const STT_GNU_IFUNC = 10;
/** GNU symbol versioning sections. */
export const SHT_GNU_VERDEF = 0x6ffffffd;
export const SHT_GNU_VERSYM = 0x6fffffff;

const ELF64_PHDR_SIZE = 56;
/** e_phnum when the real count is in section 0's sh_info. */
const PN_XNUM = 0xffff;

/** One program header (`Elf64_Phdr`). */
export interface ElfSegment {
  readonly index: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly paddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly align: number;
}

/** An ELF64 executable or shared object: headers, sections, symbol tables and program headers. */
export interface ElfExecutable {
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  /** Section headers (empty when the file has none: such a file has no symbols to look up). */
  readonly sections: readonly ElfSection[];
  /** .symtab (absent when stripped) and .dynsym, in section order. */
  readonly symbolTables: readonly ElfSymbolTable[];
  readonly segments: readonly ElfSegment[];
  /** Where errors say the bytes came from (a path), if the caller gave it. */
  readonly file: string | undefined;
}

/** A lookup in an executable found nothing, or more than one thing. */
export class ElfLookupError extends ElfError {
  /** The function, symbol or probe (`provider:name`) looked for. */
  readonly symbol: string;
  /** The binary, as the caller named it. */
  readonly file: string | undefined;

  constructor(
    code: "NOT_FOUND" | "AMBIGUOUS",
    message: string,
    lookup: { symbol: string; file: string | undefined },
    context: ElfErrorContext = {},
  ) {
    super(code, message, context);
    this.symbol = lookup.symbol;
    this.file = lookup.file;
  }
}

/** `'/usr/bin/app'` or `the binary` in messages. */
export function describeFile(file: string | undefined): string {
  return file === undefined ? "the binary" : `'${file}'`;
}

export interface ParseExecutableOptions {
  /** The path the bytes were read from, for messages. */
  readonly file?: string;
}

/**
 * Parses an ELF64 executable or shared object of any machine: header, section table, .symtab/.dynsym and program
 * headers, validated like `parseElf` validates objects (relocation sections are not read). Throws `ElfError`
 * (BAD_TYPE for relocatable objects and core files).
 */
export function parseExecutable(bytes: Uint8Array, options: ParseExecutableOptions = {}): ElfExecutable {
  const { header: raw, reader } = readHeader(bytes, { machine: "any", type: "any" });
  if (raw.type !== ET_EXEC && raw.type !== ET_DYN) {
    throw new ElfError(
      "BAD_TYPE",
      `${describeFile(options.file)}: e_type is ${raw.type}, expected an executable or shared object (ET_EXEC 2, ET_DYN 3)`,
      { offset: 0x10, expected: "ET_EXEC or ET_DYN" },
    );
  }
  const { header, sections } = readSectionTable(reader, raw);
  const symbolTables: ElfSymbolTable[] = [];
  for (const section of sections) {
    if (section.type === SHT_SYMTAB || section.type === SHT_DYNSYM) {
      symbolTables.push(readSymbolTable(reader, sections, section, header.shoff));
    }
  }
  const segments = readProgramHeaders(reader, header, sections);
  return { bytes, header, sections, symbolTables, segments, file: options.file };
}

function readProgramHeaders(reader: ByteReader, header: ElfHeader, sections: readonly ElfSection[]): ElfSegment[] {
  let count = header.phnum;
  if (count === PN_XNUM && sections.length > 0) count = sections[0]!.info;
  if (count === 0 || header.phoff === 0) return [];
  if (header.phentsize !== ELF64_PHDR_SIZE) {
    throw new ElfError("BAD_ENTSIZE", `e_phentsize is ${header.phentsize}, expected 56 for ELF64`, {
      offset: 0x36,
      expected: ELF64_PHDR_SIZE,
    });
  }
  reader.check(header.phoff, count * ELF64_PHDR_SIZE, "program header table");
  const segments: ElfSegment[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const at = header.phoff + index * ELF64_PHDR_SIZE;
    const segment: ElfSegment = {
      index,
      type: reader.u32(at, "p_type"),
      flags: reader.u32(at + 4, "p_flags"),
      offset: reader.u64(at + 8, "p_offset"),
      vaddr: reader.u64(at + 16, "p_vaddr"),
      paddr: reader.u64(at + 24, "p_paddr"),
      filesz: reader.u64(at + 32, "p_filesz"),
      memsz: reader.u64(at + 40, "p_memsz"),
      align: reader.u64(at + 48, "p_align"),
    };
    if (segment.type === PT_LOAD && segment.offset + segment.filesz > reader.length) {
      throw new ElfError(
        "OUT_OF_RANGE",
        `program header ${index} (PT_LOAD): contents extend past end of file (offset ${hex(segment.offset)} + ${hex(segment.filesz)} > size ${hex(reader.length)})`,
        { offset: at + 8, expected: `<= ${hex(reader.length)}` },
      );
    }
    segments[index] = segment;
  }
  return segments;
}

/** The PT_LOAD segment whose memory image [p_vaddr, p_vaddr + p_memsz) holds `address`. */
export function loadSegmentAt(exe: ElfExecutable, address: number): ElfSegment | undefined {
  return exe.segments.find((s) => s.type === PT_LOAD && s.vaddr <= address && address < s.vaddr + s.memsz);
}

/**
 * The file offset of the byte at virtual address `address` (as st_value and probe notes give them), through the
 * PT_LOAD segment that holds it, or through `section` (the symbol's) when no segment does. Undefined when neither
 * places it in the file.
 */
export function fileOffsetOf(exe: ElfExecutable, address: number, section?: ElfSection): number | undefined {
  const segment = loadSegmentAt(exe, address);
  if (segment) return address - segment.vaddr + segment.offset;
  if (section && section.addr <= address && address < section.addr + section.size) {
    return address - section.addr + section.offset;
  }
  return undefined;
}

/** A function found by `findFunction`. */
export interface FunctionLocation {
  /** Where its first byte is in the file: what a uprobe takes. */
  readonly offset: number;
  /** st_value. */
  readonly address: number;
  readonly symbol: ElfSymbol;
  /** The table it was found in (`.symtab` or `.dynsym`). */
  readonly table: string;
}

interface VersionNames {
  /** Version index of dynamic symbol i (versym & 0x7fff), or undefined without SHT_GNU_versym. */
  index(symbol: number): number | undefined;
  /** The name a version index defines (SHT_GNU_verdef), if any. */
  name(version: number): string | undefined;
}

/** The versions of .dynsym's symbols: SHT_GNU_versym gives each symbol's index, SHT_GNU_verdef names them. */
function versionNames(exe: ElfExecutable): VersionNames {
  const reader = new ByteReader(exe.bytes, exe.header.endianness === "little");
  const versym = exe.sections.find((s) => s.type === SHT_GNU_VERSYM);
  const verdef = exe.sections.find((s) => s.type === SHT_GNU_VERDEF);
  const names = new Map<number, string>();
  if (verdef && verdef.link < exe.sections.length) {
    const strings = exe.sections[verdef.link]!;
    const end = verdef.offset + verdef.size;
    let at = verdef.offset;
    // Elf64_Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32;
    // its first Elf64_Verdaux (vda_name u32, vda_next u32) names the version
    for (let guard = 0; at + 20 <= end && guard < 0x10000; guard++) {
      const ndx = reader.u16(at + 4, "vd_ndx");
      const aux = reader.u32(at + 12, "vd_aux");
      const next = reader.u32(at + 16, "vd_next");
      if (aux !== 0 && at + aux + 8 <= end) {
        const nameOffset = reader.u32(at + aux, "vda_name");
        const name = cString(strings.data, nameOffset);
        if (name !== undefined) names.set(ndx, name);
      }
      if (next === 0) break;
      at += next;
    }
  }
  return {
    index: (symbol) =>
      versym && (symbol + 1) * 2 <= versym.size ? reader.u16(versym.offset + symbol * 2, "versym") & 0x7fff : undefined,
    name: (version) => names.get(version),
  };
}

function cString(data: Uint8Array, offset: number): string | undefined {
  if (offset >= data.length) return undefined;
  const end = data.indexOf(0, offset);
  if (end < 0) return undefined;
  return new TextDecoder().decode(data.subarray(offset, end));
}

/** Whether symbol `symbol` (index `index` of `table`) is the `name`[@[@]version] asked for. */
function matches(
  symbol: ElfSymbol,
  table: ElfSymbolTable,
  wanted: { base: string; version: string | undefined; full: string },
  versions: () => VersionNames,
): boolean {
  const { base, version, full } = wanted;
  if (!symbol.name.startsWith(base)) return false;
  const rest = symbol.name.charCodeAt(base.length);
  // `foo` must not match `foo2`; `foo@V` and `foo@@V` in .symtab are versioned names of foo
  if (symbol.name.length !== base.length && rest !== 0x40 /* @ */) return false;
  if (version === undefined) return true;
  if (table.section.type === SHT_DYNSYM) {
    const v = versions();
    const index = v.index(symbol.index);
    return symbol.name.length === base.length && index !== undefined && v.name(index) === version;
  }
  return symbol.name === full;
}

/**
 * Finds function `name` (`name`, `name@VERSION` or `name@@VERSION`) in .symtab, then .dynsym (the first table
 * that has it wins): a defined STT_FUNC or STT_GNU_IFUNC symbol. Several definitions at different offsets are
 * refused unless all but one are weak (the non-weak one wins). Throws `ElfLookupError` (NOT_FOUND, AMBIGUOUS)
 * naming the binary and the function.
 */
export function findFunction(exe: ElfExecutable, name: string): FunctionLocation {
  const at = name.indexOf("@");
  const wanted = {
    base: at < 0 ? name : name.slice(0, at),
    version: at < 0 ? undefined : name.slice(name.startsWith("@", at + 1) ? at + 2 : at + 1),
    full: name,
  };
  let versions: VersionNames | undefined;
  const lazyVersions = () => {
    versions ??= versionNames(exe);
    return versions;
  };
  const lookup = { symbol: name, file: exe.file };
  const ordered = [
    ...exe.symbolTables.filter((t) => t.section.type === SHT_SYMTAB),
    ...exe.symbolTables.filter((t) => t.section.type === SHT_DYNSYM),
  ];
  for (const table of ordered) {
    let found: FunctionLocation | undefined;
    for (const symbol of table.symbols) {
      if (symbol.type !== STT_FUNC && symbol.type !== STT_GNU_IFUNC) continue;
      if (symbol.shndx === SHN_UNDEF || !symbol.section) continue;
      if (!matches(symbol, table, wanted, lazyVersions)) continue;
      const offset = fileOffsetOf(exe, symbol.value, symbol.section);
      if (offset === undefined) {
        throw new ElfLookupError(
          "NOT_FOUND",
          `${describeFile(exe.file)}: function '${name}' at ${hex(symbol.value)} is in no loadable segment`,
          lookup,
          { section: { index: symbol.section.index, name: symbol.section.name } },
        );
      }
      if (found && found.offset !== offset) {
        const weakBefore = found.symbol.binding === STB_WEAK;
        const weakNow = symbol.binding === STB_WEAK;
        if (!weakBefore && !weakNow) {
          throw new ElfLookupError(
            "AMBIGUOUS",
            `${describeFile(exe.file)}: function '${name}' is defined twice in ${table.section.name} ('${found.symbol.name}' at file offset ${hex(found.offset)}, '${symbol.name}' at ${hex(offset)})`,
            lookup,
          );
        }
        if (weakNow) continue;
      } else if (found) {
        continue;
      }
      found = { offset, address: symbol.value, symbol, table: table.section.name };
    }
    if (found) {
      if (found.offset === 0) {
        throw new ElfLookupError(
          "NOT_FOUND",
          `${describeFile(exe.file)}: function '${name}' has address 0 in ${found.table}`,
          lookup,
        );
      }
      return found;
    }
  }
  const tables = ordered.map((t) => t.section.name).join(" and ");
  throw new ElfLookupError(
    "NOT_FOUND",
    `${describeFile(exe.file)}: no function '${name}' in ${tables || "its symbol tables (it has none: stripped?)"}`,
    lookup,
  );
}
