import type { ByteReader } from "./byte-reader.js";
import { ELF64_REL_SIZE, ELF64_RELA_SIZE, SHT_RELA } from "./constants.js";
import { describeSection, ElfError, hex, sectionRef } from "./errors.js";
import { entryCount } from "./symbols.js";
import type { ElfRelocation, ElfRelocationSection, ElfSection, ElfSymbolTable } from "./types.js";

// Relocation entries are the bulk of a clang object with DWARF: core_task.bpf.o has 11,830 entries in
// .rel.debug_str_offsets alone, which no loader reads. Parsing therefore checks every entry against the same rules
// as before (symbol index in its table, r_offset inside the target, 64-bit fields exact) with a pass over the raw
// words that allocates nothing, and builds the ElfRelocation objects only when `relocations` is first read.
// The checks run at parse time so a corrupt file still fails there, with the same error as when it was eager;
// with ParseOptions.lazyRelocations they run when the entries are built (decode applies the same rules).

const TWO_POW_32 = 0x1_0000_0000;
/** Largest high word of a u64 that still gives an exact JavaScript number (2^53 - 1 >> 32). */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

/** Where the 32-bit halves of an entry's fields sit, for one byte order. */
interface EntryLayout {
  readonly offsetLow: number;
  readonly offsetHigh: number;
  readonly type: number;
  readonly symbol: number;
  readonly addendLow: number;
  readonly addendHigh: number;
}

const LITTLE: EntryLayout = { offsetLow: 0, offsetHigh: 4, type: 8, symbol: 12, addendLow: 16, addendHigh: 20 };
const BIG: EntryLayout = { offsetLow: 4, offsetHigh: 0, type: 12, symbol: 8, addendLow: 20, addendHigh: 16 };

/** A SHT_REL/SHT_RELA section whose entries were validated at parse time and are decoded on first access. */
class LazyRelocationSection implements ElfRelocationSection {
  readonly section: ElfSection;
  readonly rela: boolean;
  readonly target: ElfSection;
  readonly symbolTable: ElfSymbolTable;
  private readonly reader: ByteReader;
  private readonly count: number;
  private decoded: readonly ElfRelocation[] | undefined;

  constructor(
    reader: ByteReader,
    section: ElfSection,
    rela: boolean,
    target: ElfSection,
    symbolTable: ElfSymbolTable,
    count: number,
  ) {
    this.reader = reader;
    this.section = section;
    this.rela = rela;
    this.target = target;
    this.symbolTable = symbolTable;
    this.count = count;
    this.decoded = undefined;
  }

  /** Entries in section order, built once and cached. */
  get relocations(): readonly ElfRelocation[] {
    if (this.decoded === undefined) this.decoded = this.decode();
    return this.decoded;
  }

  /** Checks every entry without building it; throws the error the first bad entry gives when decoded. */
  validate(): void {
    const bad = scanEntries(this.reader, this.section, this.rela, this.count, this.symbolTable, this.target.size);
    if (bad >= 0) readEntry(this.reader, this, bad);
  }

  private decode(): ElfRelocation[] {
    const { reader, section, rela, target, count } = this;
    const symbols = this.symbolTable.symbols;
    const view = dataView(reader);
    const little = reader.littleEndian;
    const layout = little ? LITTLE : BIG;
    const entrySize = rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
    const relocations: ElfRelocation[] = new Array(count);
    for (let i = 0, at = section.offset; i < count; i++, at += entrySize) {
      const high = view.getUint32(at + layout.offsetHigh, little);
      const offset = high * TWO_POW_32 + view.getUint32(at + layout.offsetLow, little);
      const symbolIndex = view.getUint32(at + layout.symbol, little);
      const symbol = symbols[symbolIndex];
      const addend = rela
        ? (view.getUint32(at + layout.addendHigh, little) | 0) * TWO_POW_32 +
          view.getUint32(at + layout.addendLow, little)
        : 0;
      // Validated at parse time; re-checked here (cheaply) in case the caller changed the bytes since.
      if (high > MAX_SAFE_HIGH_WORD || offset >= target.size || !symbol || !Number.isSafeInteger(addend)) {
        relocations[i] = readEntry(reader, this, i);
        continue;
      }
      relocations[i] = { offset, type: view.getUint32(at + layout.type, little), symbolIndex, symbol, addend };
    }
    return relocations;
  }
}

function dataView(reader: ByteReader): DataView {
  return reader.view;
}

/** True on little-endian hosts, where a Uint32Array reads a little-endian file's words in file order. */
const HOST_LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Index of the first entry that breaks a rule, or -1. Reads the raw words only: the section's bytes were checked
 * to lie inside the file when the section table was read, so no read here can go out of bounds.
 */
function scanEntries(
  reader: ByteReader,
  section: ElfSection,
  rela: boolean,
  count: number,
  symbolTable: ElfSymbolTable,
  targetSize: number,
): number {
  const view = dataView(reader);
  const symbolCount = symbolTable.symbols.length;
  const little = reader.littleEndian;
  const layout = little ? LITTLE : BIG;
  if (rela) {
    for (let i = 0, at = section.offset; i < count; i++, at += ELF64_RELA_SIZE) {
      if (!entryIsValid(view, little, layout, at, true, symbolCount, targetSize)) return i;
    }
    return -1;
  }
  const absolute = reader.bytes.byteOffset + section.offset;
  const words =
    HOST_LITTLE && little && absolute % 4 === 0
      ? new Uint32Array(reader.bytes.buffer, absolute, section.size / 4)
      : undefined;
  // The fast loops stop at anything suspect; the exact rules decide, and the scan resumes after a valid entry.
  for (let from = 0; from < count; from++) {
    from = words
      ? firstSuspectWord(words, from, count, symbolCount, targetSize)
      : firstSuspectEntry(view, little, section.offset, from, count, symbolCount, targetSize);
    if (from < 0) return -1;
    const at = section.offset + from * ELF64_REL_SIZE;
    if (!entryIsValid(view, little, layout, at, false, symbolCount, targetSize)) return from;
  }
  return -1;
}

// REL is what clang emits for every BPF object, and DWARF relocations are most of a -g object's entries, so this
// loop is the cost of validating eagerly. It compares raw words with no calls in its body, and for a little-endian
// file on a little-endian host reads them through a Uint32Array: on the 2-core test machine that scans
// core_task.bpf.o's 11,830 entries in about 30 µs, against about 75 µs for the same loop over a DataView. The test is
// conservative: an r_offset with a non-zero high word is suspect though it may be valid (a SHT_NOBITS target can be
// larger than 4 GiB), which the exact rules then settle.

/** From `from` on, the first REL entry (words: r_offset lo, hi, type, symbol) that may break a rule, or -1. */
function firstSuspectWord(words: Uint32Array, from: number, count: number, symbolCount: number, size: number): number {
  for (let i = from, w = from * 4; i < count; i++, w += 4) {
    if (words[w + 1]! !== 0 || words[w]! >= size || words[w + 3]! >= symbolCount) return i;
  }
  return -1;
}

/** `firstSuspectWord` through a DataView: big-endian files, or sections not 4-byte aligned in memory. */
function firstSuspectEntry(
  view: DataView,
  little: boolean,
  start: number,
  from: number,
  count: number,
  symbolCount: number,
  size: number,
): number {
  const layout = little ? LITTLE : BIG;
  for (let i = from, at = start + from * ELF64_REL_SIZE; i < count; i++, at += ELF64_REL_SIZE) {
    if (
      view.getUint32(at + layout.offsetHigh, little) !== 0 ||
      view.getUint32(at + layout.offsetLow, little) >= size ||
      view.getUint32(at + layout.symbol, little) >= symbolCount
    ) {
      return i;
    }
  }
  return -1;
}

/** The exact rules for one entry at `at`: r_offset exact and inside the target, symbol in the table, addend exact. */
function entryIsValid(
  view: DataView,
  little: boolean,
  layout: EntryLayout,
  at: number,
  rela: boolean,
  symbolCount: number,
  targetSize: number,
): boolean {
  const high = view.getUint32(at + layout.offsetHigh, little);
  if (high > MAX_SAFE_HIGH_WORD) return false;
  if (high * TWO_POW_32 + view.getUint32(at + layout.offsetLow, little) >= targetSize) return false;
  if (view.getUint32(at + layout.symbol, little) >= symbolCount) return false;
  if (!rela) return true;
  const addend =
    (view.getUint32(at + layout.addendHigh, little) | 0) * TWO_POW_32 + view.getUint32(at + layout.addendLow, little);
  return Number.isSafeInteger(addend);
}

/** Entry `i`, read field by field with bounds checks and an `ElfError` naming the entry for any broken rule. */
function readEntry(reader: ByteReader, relocations: ElfRelocationSection, i: number): ElfRelocation {
  const { section, rela, target, symbolTable } = relocations;
  const context = sectionRef(section);
  const at = section.offset + i * (rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE);
  const offset = reader.u64(at, "r_offset", context);
  const type = reader.u32(at + (reader.littleEndian ? 8 : 12), "r_info", context);
  const symbolIndex = reader.u32(at + (reader.littleEndian ? 12 : 8), "r_info", context);
  const symbols = symbolTable.symbols;
  const symbol = symbols[symbolIndex];
  if (!symbol) {
    throw new ElfError(
      "OUT_OF_RANGE",
      `${describeSection(section)} entry ${i}: symbol index ${symbolIndex} is past ${describeSection(symbolTable.section)} (${symbols.length} symbols)`,
      { offset: at + 8, section: context, expected: `< ${symbols.length}` },
    );
  }
  if (offset >= target.size) {
    throw new ElfError(
      "OUT_OF_RANGE",
      `${describeSection(section)} entry ${i}: offset ${hex(offset)} is past the end of ${describeSection(target)} (size ${hex(target.size)})`,
      { offset: at, section: context, expected: `< ${hex(target.size)}` },
    );
  }
  return { offset, type, symbolIndex, symbol, addend: rela ? reader.i64(at + 16, "r_addend", context) : 0 };
}

/**
 * Reads a SHT_REL/SHT_RELA section: resolves its target section and symbol table and validates every entry now
 * (unless `lazy`: then when they are decoded); the entries themselves are built when `relocations` is first read.
 */
export function readRelocationSection(
  reader: ByteReader,
  sections: readonly ElfSection[],
  symbolTables: ReadonlyMap<number, ElfSymbolTable>,
  section: ElfSection,
  shoff: number,
  lazy = false,
): ElfRelocationSection {
  const headerOffset = shoff + section.index * 64;
  const rela = section.type === SHT_RELA;
  const count = entryCount(section, rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE, headerOffset);
  const symbolTable = symbolTables.get(section.link);
  if (!symbolTable || section.link === section.index) {
    throw new ElfError(
      "BAD_LINK",
      `${describeSection(section)}: sh_link ${section.link} must name a symbol table, not ${section.link === section.index ? "itself" : describeSection(sections[section.link]!)}`,
      { offset: headerOffset + 40, section: sectionRef(section), expected: "SHT_SYMTAB" },
    );
  }
  const target = sections[section.info]!;
  if (section.info === 0 || section.info === section.index) {
    throw new ElfError(
      "BAD_LINK",
      `${describeSection(section)}: sh_info ${section.info} must name the section the relocations apply to`,
      { offset: headerOffset + 44, section: sectionRef(section), expected: "target section index" },
    );
  }
  const relocations = new LazyRelocationSection(reader, section, rela, target, symbolTable, count);
  if (!lazy) relocations.validate();
  return relocations;
}
