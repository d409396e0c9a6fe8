// .BTF.ext: per ELF section, the func_info, line_info and CO-RE relocation records clang emitted. Instruction
// offsets are kept as clang wrote them (bytes inside the section); the loader converts them to instruction
// indexes when it cuts the records per program. Record sizes are taken from the file (they may grow in newer
// compilers: only the known leading fields are read), counts are checked against the bytes before allocating.

import { LoaderError } from "../errors.js";
import type { ObjectBtf } from "./object-btf.js";

export interface FuncInfoRecord {
  /** Byte offset of the instruction inside its ELF section. */
  readonly insnOff: number;
  readonly typeId: number;
}

export interface LineInfoRecord {
  readonly insnOff: number;
  readonly fileNameOff: number;
  readonly lineOff: number;
  /** line << 10 | column. */
  readonly lineCol: number;
}

export interface CoreRelocationRecord {
  readonly insnOff: number;
  readonly typeId: number;
  readonly accessStrOff: number;
  readonly kind: number;
}

export interface BtfExtSection<T> {
  readonly section: string;
  readonly records: readonly T[];
}

export interface BtfExt {
  readonly funcInfoRecSize: number;
  readonly lineInfoRecSize: number;
  readonly funcInfo: readonly BtfExtSection<FuncInfoRecord>[];
  readonly lineInfo: readonly BtfExtSection<LineInfoRecord>[];
  readonly coreRelos: readonly BtfExtSection<CoreRelocationRecord>[];
}

const MAGIC = 0xeb9f;

function bad(message: string, offset?: number): never {
  throw new LoaderError("BAD_BTF", `.BTF.ext: ${message}`, { section: ".BTF.ext", offset });
}

export function parseBtfExt(bytes: Uint8Array, btf: ObjectBtf): BtfExt {
  if (bytes.length < 8) bad(`${bytes.length} bytes is shorter than the header`, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = btf.littleEndian;
  if (view.getUint16(0, le) !== MAGIC) bad("bad magic (or byte order differs from .BTF)", 0);
  if (bytes[2] !== 1) bad(`unsupported version ${bytes[2]}`, 2);
  const hdrLen = view.getUint32(4, le);
  if (hdrLen < 24 || hdrLen > bytes.length) bad(`bad header length ${hdrLen}`, 4);
  const u32 = (at: number) => view.getUint32(at, le);

  function subsection<T>(
    fieldAt: number,
    what: string,
    minRecSize: number,
    read: (at: number) => T,
  ): { recSize: number; sections: BtfExtSection<T>[] } {
    if (fieldAt + 8 > hdrLen) return { recSize: 0, sections: [] };
    const off = u32(fieldAt);
    const len = u32(fieldAt + 4);
    if (len === 0) return { recSize: 0, sections: [] };
    const start = hdrLen + off;
    if (off > bytes.length - hdrLen || len > bytes.length - start) bad(`${what} out of bounds`, fieldAt);
    const end = start + len;
    if (len < 4) bad(`${what} is too short for its record size`, start);
    const recSize = u32(start);
    if (recSize < minRecSize || recSize % 4 !== 0) bad(`${what} record size ${recSize} is invalid`, start);
    const sections: BtfExtSection<T>[] = [];
    let pos = start + 4;
    while (pos < end) {
      if (end - pos < 8) bad(`${what} section header is truncated`, pos);
      const nameOff = u32(pos);
      const count = u32(pos + 4);
      const name = btf.stringAt(nameOff);
      if (name === undefined) bad(`${what} section name offset ${nameOff} is out of range`, pos);
      if (count === 0) bad(`${what} section '${name}' has no records`, pos);
      pos += 8;
      if (count > Math.floor((end - pos) / recSize)) bad(`${what} section '${name}' runs past the data`, pos);
      const records: T[] = [];
      for (let i = 0; i < count; i++, pos += recSize) records.push(read(pos));
      sections.push({ section: name, records });
    }
    return { recSize, sections };
  }

  const func = subsection(8, "func_info", 8, (at) => ({ insnOff: u32(at), typeId: u32(at + 4) }));
  const line = subsection(16, "line_info", 16, (at) => ({
    insnOff: u32(at),
    fileNameOff: u32(at + 4),
    lineOff: u32(at + 8),
    lineCol: u32(at + 12),
  }));
  const core = subsection(24, "core_relo", 16, (at) => ({
    insnOff: u32(at),
    typeId: u32(at + 4),
    accessStrOff: u32(at + 8),
    kind: u32(at + 12),
  }));
  return {
    funcInfoRecSize: func.recSize,
    lineInfoRecSize: line.recSize,
    funcInfo: func.sections,
    lineInfo: line.sections,
    coreRelos: core.sections,
  };
}
