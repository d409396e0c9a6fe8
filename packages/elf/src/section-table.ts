import type { ByteReader } from "./byte-reader.js";
import {
  ELF64_EHDR_SIZE,
  ELF64_SHDR_SIZE,
  SHF_INFO_LINK,
  SHN_XINDEX,
  SHT_NOBITS,
  SHT_NULL,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
} from "./constants.js";
import { describeSection, ElfError, hex } from "./errors.js";
import { type RawElfHeader, withSectionCounts } from "./header.js";
import { NO_NAMES, SectionStringTable } from "./strings.js";
import type { ElfHeader, ElfSection } from "./types.js";

const EMPTY = new Uint8Array(0);
/** Largest high word of a u64 that still gives an exact JavaScript number (2^53 - 1 >> 32). */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

/**
 * A section as its header is read: name and data are filled in once the names are known (the same object becomes
 * the ElfSection, so a parse makes one object per section, not two).
 */
type RawSection = { -readonly [K in keyof ElfSection]: ElfSection[K] };

function hasContents(type: number): boolean {
  return type !== SHT_NOBITS && type !== SHT_NULL;
}

/**
 * One section header. The caller has checked that the whole table lies inside the file, so the fields are read
 * straight from the DataView; only a 64-bit field whose high word is too big goes through `ByteReader.u64`, which
 * throws the `VALUE_TOO_LARGE` error for it.
 */
function readRawSection(reader: ByteReader, view: DataView, shoff: number, index: number): RawSection {
  const at = shoff + index * ELF64_SHDR_SIZE;
  const little = reader.littleEndian;
  return {
    index,
    name: "",
    nameOffset: view.getUint32(at, little),
    type: view.getUint32(at + 4, little),
    flags: headerU64(reader, view, at + 8, "sh_flags", index),
    addr: headerU64(reader, view, at + 16, "sh_addr", index),
    offset: headerU64(reader, view, at + 24, "sh_offset", index),
    size: headerU64(reader, view, at + 32, "sh_size", index),
    link: view.getUint32(at + 40, little),
    info: view.getUint32(at + 44, little),
    addralign: headerU64(reader, view, at + 48, "sh_addralign", index),
    entsize: headerU64(reader, view, at + 56, "sh_entsize", index),
    data: EMPTY,
  };
}

/** A u64 field of section header `index` at `at` (a function, not a closure per header). */
function headerU64(reader: ByteReader, view: DataView, at: number, what: string, index: number): number {
  const little = reader.littleEndian;
  const high = view.getUint32(at + (little ? 4 : 0), little);
  const low = view.getUint32(at + (little ? 0 : 4), little);
  if (high === 0) return low;
  return high <= MAX_SAFE_HIGH_WORD ? high * 0x1_0000_0000 + low : reader.u64(at, what, { index });
}

/** `named` false: the names are not read yet, and the error names no section (its name is not known). */
function checkContentsInFile(section: RawSection, fileSize: number, named = true): void {
  if (!hasContents(section.type)) return;
  if (section.offset + section.size > fileSize) {
    throw new ElfError(
      "OUT_OF_RANGE",
      `${describeSection(section)}: contents extend past end of file (offset ${hex(section.offset)} + ${hex(section.size)} > size ${hex(fileSize)})`,
      {
        offset: section.offset,
        section: { index: section.index, name: named ? section.name : undefined },
        expected: `<= ${hex(fileSize)}`,
      },
    );
  }
}

/** A byte range of the file that belongs to exactly one thing. */
interface Region {
  start: number;
  end: number;
  /** What the bytes are when they are not a section's. */
  label?: string;
  section?: ElfSection;
}

function regionName(region: Region): string {
  return region.section ? describeSection(region.section) : region.label!;
}

/** Rejects files where two sections, or a section and a header, share bytes (each table must be its own). */
function checkNoOverlap(sections: readonly ElfSection[], shoff: number, shnum: number): void {
  if (!overlaps(sections, shoff, shnum)) return;
  const regions: Region[] = [{ start: 0, end: ELF64_EHDR_SIZE, label: "ELF header" }];
  if (shnum > 0) regions.push({ start: shoff, end: shoff + shnum * ELF64_SHDR_SIZE, label: "section header table" });
  for (const section of sections) {
    if (hasContents(section.type) && section.size > 0) {
      regions.push({ start: section.offset, end: section.offset + section.size, section });
    }
  }
  regions.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < regions.length; i++) {
    const previous = regions[i - 1]!;
    const current = regions[i]!;
    if (current.start < previous.end) {
      const blamed = current.section ?? previous.section;
      throw new ElfError(
        "OVERLAP",
        `${regionName(current)} [${hex(current.start)}, ${hex(current.end)}) overlaps ${regionName(previous)} [${hex(previous.start)}, ${hex(previous.end)})`,
        { offset: current.start, ...(blamed ? { section: { index: blamed.index, name: blamed.name } } : {}) },
      );
    }
  }
}

/**
 * Whether anything overlaps, without objects: section contents sorted by offset (insertion sort of their indices:
 * few sections, often nearly in order), then one pass with the two headers. checkNoOverlap builds the
 * regions and the message only when this says yes.
 */
function overlaps(sections: readonly ElfSection[], shoff: number, shnum: number): boolean {
  const order: number[] = [];
  let count = 0;
  for (const section of sections) {
    if (!hasContents(section.type) || section.size === 0) continue;
    const start = section.offset;
    order.push(0);
    let i = count++;
    while (i > 0 && sections[order[i - 1]!]!.offset > start) {
      order[i] = order[i - 1]!;
      i--;
    }
    order[i] = section.index;
  }
  const tableEnd = shnum > 0 ? shoff + shnum * ELF64_SHDR_SIZE : shoff;
  let end = ELF64_EHDR_SIZE;
  for (let k = 0; k < count; k++) {
    const section = sections[order[k]!]!;
    if (section.offset < end) return true;
    if (shnum > 0 && section.offset < tableEnd && shoff < section.offset + section.size) return true;
    end = section.offset + section.size;
  }
  return shnum > 0 && shoff < ELF64_EHDR_SIZE;
}

/**
 * Reads and validates the section header table: extended numbering, every section's contents inside the file,
 * names, no overlaps, sh_link (and sh_info where it is a section index) naming an existing section.
 */
export function readSectionTable(
  reader: ByteReader,
  raw: RawElfHeader,
): { header: ElfHeader; sections: ElfSection[]; names?: SectionStringTable } {
  const { rawShnum, rawShstrndx } = raw;
  if (raw.shoff === 0) {
    if (rawShnum !== 0) {
      throw new ElfError("BAD_HEADER", `e_shnum is ${rawShnum} but e_shoff is 0`, { offset: 0x28 });
    }
    return { header: withSectionCounts(raw, 0, 0), sections: [] };
  }
  if (raw.shentsize !== ELF64_SHDR_SIZE) {
    throw new ElfError("BAD_ENTSIZE", `e_shentsize is ${raw.shentsize}, expected 64 for ELF64`, {
      offset: 0x3a,
      expected: ELF64_SHDR_SIZE,
    });
  }
  const fileSize = reader.length;
  if (raw.shoff + ELF64_SHDR_SIZE > fileSize) {
    throw new ElfError(
      "TRUNCATED",
      `section header table at ${hex(raw.shoff)} starts past end of file (size ${hex(fileSize)})`,
      { offset: raw.shoff },
    );
  }
  // Extended numbering: counts that do not fit 16 bits live in section 0.
  const view = reader.view;
  const first = readRawSection(reader, view, raw.shoff, 0);
  const shnum = rawShnum === 0 ? first.size : rawShnum;
  if (shnum === 0) {
    throw new ElfError("BAD_HEADER", "e_shoff is set but e_shnum and section 0's sh_size are both 0", {
      offset: 0x3c,
    });
  }
  // The count is checked against the file length before anything is allocated from it.
  if (raw.shoff + shnum * ELF64_SHDR_SIZE > fileSize) {
    throw new ElfError(
      "TRUNCATED",
      `section header table: ${shnum} entries at ${hex(raw.shoff)} extend past end of file (${hex(raw.shoff)} + ${hex(shnum * ELF64_SHDR_SIZE)} > size ${hex(fileSize)})`,
      { offset: raw.shoff, expected: `<= ${hex(fileSize)}` },
    );
  }
  const shstrndx = rawShstrndx === SHN_XINDEX ? first.link : rawShstrndx;
  if (shstrndx >= shnum) {
    throw new ElfError("BAD_LINK", `e_shstrndx ${shstrndx} is not a section (there are ${shnum})`, {
      offset: 0x3e,
      expected: `< ${shnum}`,
    });
  }

  const rawSections: RawSection[] = new Array(shnum);
  rawSections[0] = first;
  for (let i = 1; i < shnum; i++) rawSections[i] = readRawSection(reader, view, raw.shoff, i);

  // Section names come from e_shstrndx, which must be a string table inside the file.
  let names: { get(offset: number): string } = NO_NAMES;
  let nameTable: SectionStringTable | undefined;
  if (shstrndx !== 0) {
    const table = rawSections[shstrndx]!;
    if (table.type !== SHT_STRTAB) {
      throw new ElfError("BAD_LINK", `e_shstrndx ${shstrndx} is not a string table (sh_type ${table.type})`, {
        offset: 0x3e,
        section: { index: shstrndx },
        expected: "SHT_STRTAB",
      });
    }
    checkContentsInFile(table, fileSize, false);
    nameTable = new SectionStringTable(toSection(reader, table, ""));
    names = nameTable;
  }

  for (let i = 0; i < shnum; i++) {
    const section = rawSections[i]!;
    section.name =
      i === 0 && section.type === SHT_NULL ? "" : sectionName(names, section, raw.shoff + i * ELF64_SHDR_SIZE);
    if (hasContents(section.type)) section.data = reader.bytes.subarray(section.offset, section.offset + section.size);
    checkContentsInFile(section, fileSize);
  }
  const sections: ElfSection[] = rawSections;
  checkNoOverlap(sections, raw.shoff, shnum);
  for (const section of sections) checkLinks(section, shnum, raw.shoff + section.index * ELF64_SHDR_SIZE);
  return { header: withSectionCounts(raw, shnum, shstrndx), sections, names: nameTable };
}

/** The name of a section; a bad name is reported at the section's sh_name field. */
function sectionName(names: { get(offset: number): string }, section: RawSection, headerOffset: number): string {
  try {
    return names.get(section.nameOffset);
  } catch (err) {
    if (!(err instanceof ElfError)) throw err;
    throw new ElfError(err.code, `section header ${section.index}: bad sh_name: ${err.message}`, {
      section: { index: section.index },
      offset: headerOffset,
    });
  }
}

function toSection(reader: ByteReader, raw: RawSection, name: string): ElfSection {
  return {
    index: raw.index,
    name,
    nameOffset: raw.nameOffset,
    type: raw.type,
    flags: raw.flags,
    addr: raw.addr,
    offset: raw.offset,
    size: raw.size,
    link: raw.link,
    info: raw.info,
    addralign: raw.addralign,
    entsize: raw.entsize,
    data: hasContents(raw.type) ? reader.bytes.subarray(raw.offset, raw.offset + raw.size) : EMPTY,
  };
}

function checkLinks(section: ElfSection, shnum: number, headerOffset: number): void {
  // Section 0 carries the extended counts in sh_link/sh_size, not references.
  if (section.index === 0) return;
  if (section.link >= shnum) {
    throw new ElfError(
      "BAD_LINK",
      `${describeSection(section)}: sh_link ${section.link} is not a section (there are ${shnum})`,
      {
        offset: headerOffset + 40,
        section: { index: section.index, name: section.name },
        expected: `< ${shnum}`,
      },
    );
  }
  const infoIsSection = section.type === SHT_REL || section.type === SHT_RELA || (section.flags & SHF_INFO_LINK) !== 0;
  if (infoIsSection && section.info >= shnum) {
    throw new ElfError(
      "BAD_LINK",
      `${describeSection(section)}: sh_info ${section.info} is not a section (there are ${shnum})`,
      {
        offset: headerOffset + 44,
        section: { index: section.index, name: section.name },
        expected: `< ${shnum}`,
      },
    );
  }
}
