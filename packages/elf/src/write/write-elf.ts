import {
  EI_ABIVERSION,
  EI_CLASS,
  EI_DATA,
  EI_OSABI,
  EI_VERSION,
  ELF_MAGIC,
  ELF64_EHDR_SIZE,
  ELF64_REL_SIZE,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  EM_BPF,
  ET_REL,
  EV_CURRENT,
  SHF_INFO_LINK,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  STB_LOCAL,
  STT_NOTYPE,
  STV_DEFAULT,
} from "../constants.js";
import { ElfError } from "../errors.js";
import { ByteWriter } from "./byte-writer.js";
import type { ElfWriteModel, ElfWriteSection, ElfWriteSymbol } from "./model.js";
import { buildStringTable } from "./string-table-builder.js";

/** The extra section the writer adds when symbols need 32-bit section indices (more than 0xff00 sections). */
interface ExtendedIndexSection {
  kind: "symtab_shndx";
  name: string;
}

type OutputSection = ElfWriteSection | ExtendedIndexSection;

/** One section header as it will be written. */
interface Header {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** Bytes to place at `offset` (none for NOBITS)... */
  contents: Uint8Array | undefined;
  /** ...or what writes the `size` bytes there (tables are encoded straight into the output, not copied). */
  encode: ((out: ByteWriter, at: number) => void) | undefined;
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

/** Every header built with the same property order, so the layout loops see one object shape. */
function header(fields: Header): Header {
  return {
    name: fields.name,
    type: fields.type,
    flags: fields.flags,
    addr: fields.addr,
    offset: fields.offset,
    size: fields.size,
    link: fields.link,
    info: fields.info,
    addralign: fields.addralign,
    entsize: fields.entsize,
    contents: fields.contents,
    encode: fields.encode,
  };
}

function badModel(message: string): never {
  throw new ElfError("BAD_MODEL", `writeElf: ${message}`);
}

/** Who a field belongs to, for messages; a function when building the text would cost in a hot loop. */
type Owner = string | (() => string);

function fieldName(owner: Owner, field: string): string {
  return `${typeof owner === "string" ? owner : owner()} ${field}`;
}

function checkNumber(value: number | undefined, owner: Owner, field: string, signed = false): number {
  const v = value ?? 0;
  if (!Number.isSafeInteger(v) || (!signed && v < 0)) {
    badModel(`${fieldName(owner, field)} is ${v}, not a ${signed ? "" : "non-negative "}safe integer`);
  }
  return v;
}

function checkU32(value: number | undefined, owner: Owner, field: string): number {
  const v = checkNumber(value, owner, field);
  if (v > 0xffff_ffff) badModel(`${fieldName(owner, field)} is ${v}, does not fit 32 bits`);
  return v;
}

function checkAlignment(value: number | undefined, owner: Owner, field: string): number {
  const v = checkNumber(value, owner, field);
  const powerOfTwo = v <= 0xffff_ffff ? (v & (v - 1)) === 0 : 2 ** Math.round(Math.log2(v)) === v;
  if (v !== 0 && !powerOfTwo) badModel(`${fieldName(owner, field)} is ${v}, not a power of two`);
  return v;
}

function alignUp(offset: number, alignment: number): number {
  return alignment > 1 ? Math.ceil(offset / alignment) * alignment : offset;
}

/** The model's sections plus the tables the model did not place (symtab, strtab) and SYMTAB_SHNDX if needed. */
function completeSectionList(model: ElfWriteModel): OutputSection[] {
  const sections: OutputSection[] = model.sections.slice();
  const seen = new Set<OutputSection>();
  for (const section of sections) {
    if (seen.has(section)) badModel(`section ${describe(section)} appears twice in the section list`);
    seen.add(section);
  }
  const count = (kind: string) => {
    let n = 0;
    for (const s of sections) if (s.kind === kind) n++;
    return n;
  };
  for (const kind of ["symtab", "strtab", "shstrtab"]) {
    if (count(kind) > 1) {
      throw new ElfError(
        "UNSUPPORTED",
        `writeElf: the model has ${count(kind)} ${kind} sections, at most one is supported`,
      );
    }
  }
  const needsSymtab = model.symbols.length > 0 || sections.some((s) => s.kind === "relocations");
  if (needsSymtab && count("symtab") === 0) sections.push({ kind: "symtab" });
  if (count("strtab") === 0 && (count("symtab") > 0 || count("shstrtab") === 0)) sections.push({ kind: "strtab" });
  return sections;
}

function describe(section: OutputSection): string {
  return section.kind === "relocations"
    ? (section.name ?? `relocations for ${describe(section.target)}`)
    : (section.name ?? `.${section.kind}`);
}

function sectionName(section: OutputSection): string {
  switch (section.kind) {
    case "data":
    case "symtab_shndx":
      return section.name;
    case "relocations":
      return section.name ?? `${section.rela ? ".rela" : ".rel"}${sectionName(section.target)}`;
    case "symtab":
      return section.name ?? ".symtab";
    case "strtab":
      return section.name ?? ".strtab";
    case "shstrtab":
      return section.name ?? ".shstrtab";
  }
}

/**
 * Writes an ELF64 relocatable object. Sections keep the model's order (after the implicit null section 0);
 * `.symtab` lists locals first, then the others, each group in model order, and its sh_info is the index of the
 * first non-local. String tables are tail-merged. More than 0xff00 sections use extended numbering (e_shnum 0,
 * count in section 0) and a SHT_SYMTAB_SHNDX section appended at the end.
 * Throws `ElfError` (BAD_MODEL, UNSUPPORTED) for an inconsistent model.
 */
export function writeElf(model: ElfWriteModel): Uint8Array {
  const littleEndian = (model.endianness ?? "little") === "little";
  const sections = completeSectionList(model);

  // Symbols: locals first, stable within each group.
  // (concat and loops rather than spreads, which iterate element by element)
  const locals = model.symbols.filter((s) => (s.binding ?? STB_LOCAL) === STB_LOCAL);
  const ordered = locals.concat(model.symbols.filter((s) => (s.binding ?? STB_LOCAL) !== STB_LOCAL));
  const firstNonLocal = 1 + locals.length;
  const symbolIndex = new Map<ElfWriteSymbol, number>();
  ordered.forEach((symbol, i) => {
    if (symbolIndex.has(symbol)) badModel(`symbol "${symbol.name}" appears twice in the symbol list`);
    symbolIndex.set(symbol, i + 1);
  });

  const sectionIndex = new Map<OutputSection, number>();
  for (let i = 0; i < sections.length; i++) sectionIndex.set(sections[i]!, i + 1);
  const indexOf = (section: ElfWriteSection, what: string): number => {
    const index = sectionIndex.get(section);
    if (index === undefined)
      badModel(`${what} refers to section ${describe(section)}, which is not in the section list`);
    return index;
  };
  const symbolShndx = ordered.map((symbol) => {
    const section = symbol.section;
    if (section === undefined) return SHN_UNDEF;
    if (typeof section === "number") {
      if (section !== SHN_UNDEF && (section < SHN_LORESERVE || section > 0xffff || !Number.isInteger(section))) {
        badModel(`symbol "${symbol.name}": section ${section} must be a section object or a reserved index`);
      }
      return section;
    }
    return indexOf(section, `symbol "${symbol.name}"`);
  });
  // Real section indices from 0xff00 up do not fit st_shndx: those symbols say SHN_XINDEX and the index goes to
  // a SHT_SYMTAB_SHNDX table (which holds 0 for every other symbol).
  const usesExtendedIndex = symbolShndx.map(
    (shndx, i) => shndx >= SHN_LORESERVE && typeof ordered[i]!.section === "object",
  );
  if (usesExtendedIndex.some(Boolean)) {
    sections.push({ kind: "symtab_shndx", name: ".symtab_shndx" });
    sectionIndex.set(sections[sections.length - 1]!, sections.length);
  }

  // String tables: section names go to the shstrtab if there is one, else they share the strtab.
  const nameTableSection = sections.find((s) => s.kind === "shstrtab") ?? sections.find((s) => s.kind === "strtab")!;
  const symbolStringSection = sections.find((s) => s.kind === "strtab");
  const names = sections.map(sectionName);
  const symbolNames = ordered.map((s) => s.name);
  const shared = nameTableSection === symbolStringSection;
  const tailMerge = (section: OutputSection | undefined) =>
    !(section && (section.kind === "strtab" || section.kind === "shstrtab") && section.tailMerge === false);
  const nameTable = buildStringTable(shared ? names.concat(symbolNames) : names, tailMerge(nameTableSection));
  const symbolStrings = shared ? nameTable : buildStringTable(symbolNames, tailMerge(symbolStringSection));
  const symtabSection = sections.find((s) => s.kind === "symtab");

  const headers: Header[] = sections.map((section, i) => {
    const name = names[i]!;
    switch (section.kind) {
      case "data": {
        const what = `section ${section.name}`;
        if (section.type === SHT_NOBITS && section.data !== undefined && section.data.length > 0) {
          badModel(`${what} is SHT_NOBITS but has data`);
        }
        const size =
          section.type === SHT_NOBITS ? checkNumber(section.size, what, "size") : (section.data?.length ?? 0);
        if (section.type !== SHT_NOBITS && section.size !== undefined && section.size !== size) {
          badModel(`${what}: size ${section.size} differs from data length ${size}`);
        }
        const info = section.info;
        return header({
          name,
          offset: 0,
          type: checkU32(section.type, what, "type"),
          flags: checkNumber(section.flags, what, "flags"),
          addr: checkNumber(section.addr, what, "addr"),
          size,
          link: section.link ? indexOf(section.link, `${what} link`) : 0,
          info: typeof info === "object" ? indexOf(info, `${what} info`) : checkU32(info, what, "info"),
          addralign: checkAlignment(section.addralign, what, "addralign"),
          entsize: checkNumber(section.entsize, what, "entsize"),
          contents: section.type === SHT_NOBITS ? undefined : (section.data ?? new Uint8Array(0)),
          encode: undefined,
        });
      }
      case "relocations": {
        if (!symtabSection) throw new Error("unreachable: relocations always get a symtab");
        return header({
          name,
          offset: 0,
          addr: 0,
          type: section.rela ? SHT_RELA : SHT_REL,
          flags: checkNumber(section.flags ?? SHF_INFO_LINK, `section ${names[i]}`, "flags"),
          size: section.relocations.length * (section.rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE),
          link: sectionIndex.get(symtabSection)!,
          info: indexOf(section.target, `section ${names[i]} target`),
          addralign: checkAlignment(section.addralign ?? 8, `section ${names[i]}`, "addralign"),
          entsize: section.rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE,
          contents: undefined,
          encode: (out, at) => encodeRelocations(section, symbolIndex, out, at),
        });
      }
      case "symtab": {
        return header({
          name,
          offset: 0,
          addr: 0,
          type: SHT_SYMTAB,
          flags: checkNumber(section.flags, name, "flags"),
          size: (ordered.length + 1) * ELF64_SYM_SIZE,
          link: symbolStringSection ? sectionIndex.get(symbolStringSection)! : 0,
          info: firstNonLocal,
          addralign: 8,
          entsize: ELF64_SYM_SIZE,
          contents: undefined,
          encode: (out, at) => encodeSymbols(ordered, symbolShndx, usesExtendedIndex, symbolStrings.offsets, out, at),
        });
      }
      case "strtab":
      case "shstrtab": {
        const table = section === nameTableSection ? nameTable : symbolStrings;
        return header({
          name,
          type: SHT_STRTAB,
          flags: checkNumber(section.flags, name, "flags"),
          addr: 0,
          offset: 0,
          size: table.size,
          link: 0,
          info: 0,
          addralign: 1,
          entsize: 0,
          contents: undefined,
          // Straight into the output (zeroed), not into bytes of its own first.
          encode: (out, at) => table.writeTo(out.bytes, at),
        });
      }
      case "symtab_shndx": {
        return header({
          name,
          offset: 0,
          info: 0,
          addr: 0,
          type: SHT_SYMTAB_SHNDX,
          flags: 0,
          size: (symbolShndx.length + 1) * 4,
          link: sectionIndex.get(symtabSection!)!,
          addralign: 4,
          entsize: 4,
          contents: undefined,
          encode: (out, at) => encodeExtendedIndices(symbolShndx, usesExtendedIndex, out, at),
        });
      }
      default:
        return unreachable(section);
    }
  });

  // Layout: header, then contents in section order (each aligned), then the section header table.
  let end = ELF64_EHDR_SIZE;
  for (const header of headers) {
    header.offset = alignUp(end, header.addralign);
    if (header.contents || header.encode) end = header.offset + header.size;
  }
  const shoff = alignUp(end, 8);
  const shnum = headers.length + 1;
  const out = new ByteWriter(shoff + shnum * ELF64_SHDR_SIZE, littleEndian);
  const shstrndx = sectionIndex.get(nameTableSection)!;
  writeFileHeader(out, model, { shoff, shnum, shstrndx });
  // Section 0: all zero, except the counts that do not fit the file header (extended numbering).
  if (shnum >= SHN_LORESERVE) out.u64(shoff + 32, shnum);
  if (shstrndx >= SHN_LORESERVE) out.u32(shoff + 40, shstrndx);
  headers.forEach((header, i) => {
    if (header.contents) out.copy(header.offset, header.contents);
    else if (header.encode) header.encode(out, header.offset);
    const at = shoff + (i + 1) * ELF64_SHDR_SIZE;
    out.u32(at, nameTable.offsets.get(header.name)!);
    out.u32(at + 4, header.type);
    out.u64(at + 8, header.flags);
    out.u64(at + 16, header.addr);
    out.u64(at + 24, header.offset);
    out.u64(at + 32, header.size);
    out.u32(at + 40, header.link);
    out.u32(at + 44, header.info);
    out.u64(at + 48, header.addralign);
    out.u64(at + 56, header.entsize);
  });
  return out.bytes;
}

function writeFileHeader(
  out: ByteWriter,
  model: ElfWriteModel,
  table: { shoff: number; shnum: number; shstrndx: number },
): void {
  for (let i = 0; i < ELF_MAGIC.length; i++) out.u8(i, ELF_MAGIC[i]!);
  out.u8(EI_CLASS, ELFCLASS64);
  out.u8(EI_DATA, (model.endianness ?? "little") === "little" ? ELFDATA2LSB : ELFDATA2MSB);
  out.u8(EI_VERSION, EV_CURRENT);
  out.u8(EI_OSABI, checkNumber(model.osabi, "model", "osabi") & 0xff);
  out.u8(EI_ABIVERSION, checkNumber(model.abiVersion, "model", "abiVersion") & 0xff);
  out.u16(0x10, checkNumber(model.type ?? ET_REL, "model", "type") & 0xffff);
  out.u16(0x12, checkNumber(model.machine ?? EM_BPF, "model", "machine") & 0xffff);
  out.u32(0x14, EV_CURRENT);
  out.u64(0x28, table.shoff);
  out.u32(0x30, checkU32(model.flags, "model", "flags"));
  out.u16(0x34, ELF64_EHDR_SIZE);
  out.u16(0x3a, ELF64_SHDR_SIZE);
  out.u16(0x3c, table.shnum >= SHN_LORESERVE ? 0 : table.shnum);
  out.u16(0x3e, table.shstrndx >= SHN_LORESERVE ? SHN_XINDEX : table.shstrndx);
}

function encodeSymbols(
  symbols: readonly ElfWriteSymbol[],
  shndx: readonly number[],
  usesExtendedIndex: readonly boolean[],
  nameOffsets: ReadonlyMap<string, number>,
  out: ByteWriter,
  start: number,
): void {
  // Entry 0 (the null symbol) is the zeros the output starts as.
  symbols.forEach((symbol, i) => {
    const at = start + (i + 1) * ELF64_SYM_SIZE;
    // Named only when a check fails: a message per symbol would cost more than its encoding.
    const what = () => `symbol "${symbol.name}"`;
    const type = checkNumber(symbol.type ?? STT_NOTYPE, what, "type");
    const binding = checkNumber(symbol.binding ?? STB_LOCAL, what, "binding");
    if (type > 15 || binding > 15) badModel(`${what()}: type ${type} / binding ${binding} must fit 4 bits`);
    out.u32(at, nameOffsets.get(symbol.name)!);
    out.u8(at + 4, (binding << 4) | type);
    out.u8(at + 5, checkNumber(symbol.visibility ?? STV_DEFAULT, what, "visibility") & 3);
    out.u16(at + 6, usesExtendedIndex[i] ? SHN_XINDEX : shndx[i]!);
    out.u64(at + 8, checkNumber(symbol.value, what, "value"));
    out.u64(at + 16, checkNumber(symbol.size, what, "size"));
  });
}

function encodeExtendedIndices(
  shndx: readonly number[],
  usesExtendedIndex: readonly boolean[],
  out: ByteWriter,
  start: number,
): void {
  for (let i = 0; i < shndx.length; i++) out.u32(start + (i + 1) * 4, usesExtendedIndex[i] ? shndx[i]! : 0);
}

function encodeRelocations(
  section: Extract<ElfWriteSection, { kind: "relocations" }>,
  symbolIndex: ReadonlyMap<ElfWriteSymbol, number>,
  out: ByteWriter,
  start: number,
): void {
  const entrySize = section.rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
  // Messages are built only on failure: a DWARF-heavy object has tens of thousands of entries.
  const what = (i: number) => `relocation ${i} of ${describe(section)}`;
  const relocations = section.relocations;
  for (let i = 0; i < relocations.length; i++) {
    const relocation = relocations[i]!;
    const at = start + i * entrySize;
    let symbol = 0;
    if (relocation.symbol) {
      const index = symbolIndex.get(relocation.symbol);
      if (index === undefined) badModel(`${what(i)}: symbol "${relocation.symbol.name}" is not in the symbol list`);
      symbol = index;
    }
    const { offset, type, addend } = relocation;
    if (!(Number.isSafeInteger(offset) && offset >= 0)) checkNumber(offset, what(i), "offset");
    if (!(Number.isInteger(type) && type >= 0 && type <= 0xffff_ffff)) checkU32(type, what(i), "type");
    out.u64(at, offset);
    out.words(at + 8, type, symbol);
    if (section.rela) out.i64(at + 16, checkNumber(addend, what(i), "addend", true));
    else if (addend) badModel(`${what(i)}: an addend needs a RELA section`);
  }
}
