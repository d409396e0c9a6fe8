// The linked object's bytes, written straight from the link's own sections and symbols in the layout the general
// writer (@bpfkit/elf's writeElf, see elf-model.ts) gives the same link: .strtab (section names, then symbol
// names, each once in first-seen order, as libbpf's strset), .symtab (locals first), the sections in creation
// order, .BTF, .BTF.ext. The general writer takes a model (objects per section, symbol and relocation) and, shaped
// for every caller, kept deoptimizing on the linker's; this is one monomorphic pass over the link state.

import {
  type BuiltStringTable,
  buildStringTable,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  EM_BPF,
  ET_REL,
  EV_CURRENT,
  SHF_STRINGS,
  SHN_LORESERVE,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_STRTAB,
  SHT_SYMTAB,
  STB_LOCAL,
} from "@bpfkit/elf";
import type { OutSection } from "./output.js";
import type { LinkState } from "./state.js";

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
/** Section indices: 0 null, 1 .strtab, 2 .symtab, then the link's sections from here in ELF order. */
const STRTAB = 1;
const SYMTAB = 2;
const FIRST_SECTION = 3;
const TWO_POW_32 = 0x1_0000_0000;

/** Whether writeObject can write this link: indices past SHN_LORESERVE need extended numbering (elf-model.ts). */
export function fitsPlainNumbering(state: LinkState): boolean {
  return FIRST_SECTION + state.elfSections.length + 2 < SHN_LORESERVE;
}

/** A section's place in the file: where its contents go and how many bytes they take. */
function contentSize(sec: OutSection): number {
  if (sec.type === SHT_REL) return sec.relocations.length * REL_SIZE;
  return sec.type === SHT_NOBITS ? sec.size : sec.data.length;
}

const alignUp = (offset: number, align: number): number => (align > 1 ? Math.ceil(offset / align) * align : offset);

function u64(view: DataView, le: boolean, at: number, value: number): void {
  view.setUint32(at + (le ? 0 : 4), value % TWO_POW_32, le);
  view.setUint32(at + (le ? 4 : 0), Math.floor(value / TWO_POW_32), le);
}

/** What a section header is written into: the output, its byte order, the header table and the name offsets. */
interface Output {
  readonly view: DataView;
  readonly le: boolean;
  readonly shoff: number;
  readonly names: BuiltStringTable;
}

function header(
  out: Output,
  index: number,
  name: string,
  type: number,
  flags: number,
  offset: number,
  size: number,
  link: number,
  info: number,
  align: number,
  entsize: number,
): void {
  const { view, le } = out;
  const at = out.shoff + index * SHDR_SIZE;
  view.setUint32(at, out.names.offsets.get(name)!, le);
  view.setUint32(at + 4, type, le);
  u64(view, le, at + 8, flags);
  u64(view, le, at + 24, offset);
  u64(view, le, at + 32, size);
  view.setUint32(at + 40, link, le);
  view.setUint32(at + 44, info, le);
  u64(view, le, at + 48, align);
  u64(view, le, at + 56, entsize);
}

export function writeObject(state: LinkState, btf: Uint8Array | undefined, ext: Uint8Array | undefined): Uint8Array {
  const le = state.littleEndian !== false;
  const sections = state.elfSections;
  const symbols = state.symbols;

  // ELF symbol index of each OutSymbol (by its index): locals first, each group in link order.
  const symbolIndex: number[] = new Array(symbols.length);
  let next = 1;
  for (const sym of symbols) if (sym.binding === STB_LOCAL) symbolIndex[sym.index] = next++;
  const firstNonLocal = next;
  for (const sym of symbols) if (sym.binding !== STB_LOCAL) symbolIndex[sym.index] = next++;
  const ordered = new Array(symbols.length);
  for (const sym of symbols) ordered[symbolIndex[sym.index]! - 1] = sym;

  // Section names, then symbol names, each once in first-seen order (libbpf's strset).
  const allNames = [".strtab", ".symtab"];
  for (const sec of sections) allNames.push(sec.name);
  if (btf) allNames.push(".BTF");
  if (btf && ext) allNames.push(".BTF.ext");
  for (const sym of ordered) allNames.push(sym.name);
  const names = buildStringTable(allNames, false);

  // Layout: file header, contents in section order (each aligned; NOBITS takes no room), section headers.
  const offsets: number[] = new Array(sections.length);
  const strtabAt = EHDR_SIZE;
  const symtabAt = alignUp(strtabAt + names.size, 8);
  let end = symtabAt + (symbols.length + 1) * SYM_SIZE;
  for (let i = 0; i < sections.length; i++) {
    const sec = sections[i]!;
    offsets[i] = alignUp(end, sec.align);
    if (sec.type !== SHT_NOBITS) end = offsets[i]! + contentSize(sec);
  }
  const btfAt = alignUp(end, 8);
  if (btf) end = btfAt + btf.length;
  const extAt = alignUp(end, 8);
  if (btf && ext) end = extAt + ext.length;
  const shnum = FIRST_SECTION + sections.length + (btf ? 1 : 0) + (btf && ext ? 1 : 0);
  const shoff = alignUp(end, 8);

  const bytes = new Uint8Array(shoff + shnum * SHDR_SIZE);
  const view = new DataView(bytes.buffer);
  const out: Output = { view, le, shoff, names };

  // File header.
  bytes.set([0x7f, 0x45, 0x4c, 0x46, ELFCLASS64, le ? ELFDATA2LSB : ELFDATA2MSB, EV_CURRENT]);
  view.setUint16(0x10, ET_REL, le);
  view.setUint16(0x12, EM_BPF, le);
  view.setUint32(0x14, EV_CURRENT, le);
  u64(view, le, 0x28, shoff);
  view.setUint16(0x34, EHDR_SIZE, le);
  view.setUint16(0x3a, SHDR_SIZE, le);
  view.setUint16(0x3c, shnum, le);
  view.setUint16(0x3e, STRTAB, le);

  names.writeTo(bytes, strtabAt);
  header(out, STRTAB, ".strtab", SHT_STRTAB, SHF_STRINGS, strtabAt, names.size, 0, 0, 1, 0);

  for (let i = 0; i < ordered.length; i++) {
    const sym = ordered[i]!;
    const at = symtabAt + (i + 1) * SYM_SIZE;
    const section = sym.section;
    const shndx =
      typeof section === "number" ? section : section && section.elfOrder >= 0 ? FIRST_SECTION + section.elfOrder : 0;
    view.setUint32(at, names.offsets.get(sym.name)!, le);
    bytes[at + 4] = (sym.binding << 4) | sym.type;
    bytes[at + 5] = sym.visibility & 3;
    view.setUint16(at + 6, shndx, le);
    u64(view, le, at + 8, sym.value);
    u64(view, le, at + 16, sym.size);
  }
  const symtabSize = (symbols.length + 1) * SYM_SIZE;
  header(out, SYMTAB, ".symtab", SHT_SYMTAB, 0, symtabAt, symtabSize, STRTAB, firstNonLocal, 8, SYM_SIZE);

  for (let i = 0; i < sections.length; i++) {
    const sec = sections[i]!;
    const at = offsets[i]!;
    const index = FIRST_SECTION + i;
    if (sec.type === SHT_REL) {
      const relocations = sec.relocations;
      for (let k = 0; k < relocations.length; k++) {
        const r = relocations[k]!;
        u64(view, le, at + k * REL_SIZE, r.offset);
        view.setUint32(at + k * REL_SIZE + (le ? 8 : 12), r.type, le);
        view.setUint32(at + k * REL_SIZE + (le ? 12 : 8), r.symbol ? symbolIndex[r.symbol.index]! : 0, le);
      }
      const target = FIRST_SECTION + sec.target!.elfOrder;
      header(out, index, sec.name, SHT_REL, sec.flags, at, contentSize(sec), SYMTAB, target, sec.align, REL_SIZE);
      continue;
    }
    if (sec.type !== SHT_NOBITS) bytes.set(sec.data, at);
    header(out, index, sec.name, sec.type, sec.flags, at, contentSize(sec), 0, 0, sec.align, sec.entsize);
  }
  if (btf) {
    const index = FIRST_SECTION + sections.length;
    bytes.set(btf, btfAt);
    header(out, index, ".BTF", SHT_PROGBITS, 0, btfAt, btf.length, 0, 0, 8, 0);
    if (ext) {
      bytes.set(ext, extAt);
      header(out, index + 1, ".BTF.ext", SHT_PROGBITS, 0, extAt, ext.length, 0, 0, 8, 0);
    }
  }
  return bytes;
}
