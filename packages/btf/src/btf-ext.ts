// .BTF.ext: per-ELF-section func_info, line_info and CO-RE relocation records. Each subsection starts with its
// record size, so newer producers can grow records: sizes larger than the layout we know are accepted and the
// extra bytes are kept, which makes encode(parse(x)) byte-identical.

import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { BTF_MAGIC } from "./header.js";

export interface FuncInfoRecord {
  /** Byte offset of the function's first instruction in its section. */
  readonly insnOff: number;
  readonly typeId: number;
  /** Bytes past the known layout when the subsection's record size is larger. */
  readonly extra?: Uint8Array;
}

export interface LineInfoRecord {
  readonly insnOff: number;
  readonly fileNameOff: number;
  readonly lineOff: number;
  /** line_col >> 10. */
  readonly line: number;
  /** line_col & 0x3ff. */
  readonly column: number;
  readonly extra?: Uint8Array;
}

export interface CoreReloRecord {
  readonly insnOff: number;
  readonly typeId: number;
  readonly accessStrOff: number;
  /** CO-RE relocation kind (0 FIELD_BYTE_OFFSET … 12 TYPE_MATCHES). */
  readonly kind: number;
  readonly extra?: Uint8Array;
}

export interface BtfExtSection<R> {
  /** Offset of the ELF section name in the .BTF string table. */
  readonly nameOff: number;
  /** The section name, "" when parsed without a Btf. */
  readonly name: string;
  readonly records: readonly R[];
}

export interface BtfExtSubsection<R> {
  readonly recordSize: number;
  readonly sections: readonly BtfExtSection<R>[];
}

/** A decoded .BTF.ext; the record types are parameters only so that parseBtfExtOffsets can share the shape. */
export interface BtfExt<F = FuncInfoRecord, L = LineInfoRecord, C = CoreReloRecord> {
  readonly littleEndian: boolean;
  readonly version: number;
  readonly flags: number;
  /** 24 (no CO-RE fields) or 32, or larger from newer producers. */
  readonly hdrLen: number;
  /** Undefined when the subsection is empty (length 0). */
  readonly funcInfo: BtfExtSubsection<F> | undefined;
  readonly lineInfo: BtfExtSubsection<L> | undefined;
  readonly coreRelo: BtfExtSubsection<C> | undefined;
}

const MIN_HEADER = 24;
const CORE_HEADER = 32;
const FUNC_INFO_SIZE = 8;
const LINE_INFO_SIZE = 16;
const CORE_RELO_SIZE = 16;

interface Reader {
  readonly view: DataView;
  readonly le: boolean;
  readonly bytes: Uint8Array;
}

function fail(message: string, offset: number): never {
  throw new BtfError("BAD_EXT", message, { section: ".BTF.ext", offset });
}

export function parseBtfExt(bytes: Uint8Array, options: { btf?: Btf } = {}): BtfExt {
  return decodeBtfExt(bytes, options.btf, true) as BtfExt;
}

/**
 * parseBtfExt's checks and result, but each record is its byte offset in `bytes` (no object per record): for a
 * caller that copies records as they are, patching a few fields (the static linker), or notes where fields live
 * (dedup's in-place rewrite).
 */
export function parseBtfExtOffsets(bytes: Uint8Array, options: { btf?: Btf } = {}): BtfExt<number, number, number> {
  return decodeBtfExt(bytes, options.btf, false) as BtfExt<number, number, number>;
}

/** Decodes the records, or (`decodeRecords` false) gives each as its byte offset in `bytes`. */
function decodeBtfExt(
  bytes: Uint8Array,
  btf: Btf | undefined,
  decodeRecords: boolean,
): BtfExt<unknown, unknown, unknown> {
  if (bytes.length < MIN_HEADER) {
    throw new BtfError("TRUNCATED", `${bytes.length} bytes is too short for a .BTF.ext header`, {
      section: ".BTF.ext",
      offset: 0,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  if (view.getUint16(0, true) !== BTF_MAGIC) {
    if (view.getUint16(0, false) !== BTF_MAGIC) {
      throw new BtfError("BAD_MAGIC", "bad .BTF.ext magic", { section: ".BTF.ext", offset: 0 });
    }
    le = false;
  }
  const version = view.getUint8(2);
  if (version !== 1)
    throw new BtfError("BAD_VERSION", `unsupported .BTF.ext version ${version}`, { section: ".BTF.ext", offset: 2 });
  const flags = view.getUint8(3);
  const hdrLen = view.getUint32(4, le);
  if (hdrLen < MIN_HEADER || hdrLen > bytes.length)
    fail(`hdr_len ${hdrLen} outside [${MIN_HEADER}, ${bytes.length}]`, 4);
  const r: Reader = { view, le, bytes };
  if (!decodeRecords) {
    // Same subsections, same order (so the same first error), as below.
    const offset = (at: number) => at;
    const funcInfo = subsection(r, hdrLen, 8, FUNC_INFO_SIZE, "func_info", btf, offset);
    const lineInfo = subsection(r, hdrLen, 16, LINE_INFO_SIZE, "line_info", btf, offset);
    const coreRelo =
      hdrLen >= CORE_HEADER ? subsection(r, hdrLen, 24, CORE_RELO_SIZE, "core_relo", btf, offset) : undefined;
    return { littleEndian: le, version, flags, hdrLen, funcInfo, lineInfo, coreRelo };
  }
  // Records are built as literals, `extra` only when there is some (no spread of a temporary object per record).
  const funcInfo = subsection(r, hdrLen, 8, FUNC_INFO_SIZE, "func_info", btf, (at, size): FuncInfoRecord => {
    const insnOff = view.getUint32(at, le);
    const typeId = view.getUint32(at + 4, le);
    if (size <= FUNC_INFO_SIZE) return { insnOff, typeId };
    return { insnOff, typeId, extra: extraBytes(bytes, at, FUNC_INFO_SIZE, size) };
  });
  const lineInfo = subsection(r, hdrLen, 16, LINE_INFO_SIZE, "line_info", btf, (at, size): LineInfoRecord => {
    const insnOff = view.getUint32(at, le);
    const fileNameOff = view.getUint32(at + 4, le);
    const lineOff = view.getUint32(at + 8, le);
    const lineCol = view.getUint32(at + 12, le);
    const line = lineCol >>> 10;
    const column = lineCol & 0x3ff;
    if (size <= LINE_INFO_SIZE) return { insnOff, fileNameOff, lineOff, line, column };
    return { insnOff, fileNameOff, lineOff, line, column, extra: extraBytes(bytes, at, LINE_INFO_SIZE, size) };
  });
  const coreRelo =
    hdrLen >= CORE_HEADER
      ? subsection(r, hdrLen, 24, CORE_RELO_SIZE, "core_relo", btf, (at, size): CoreReloRecord => {
          const insnOff = view.getUint32(at, le);
          const typeId = view.getUint32(at + 4, le);
          const accessStrOff = view.getUint32(at + 8, le);
          const kind = view.getUint32(at + 12, le);
          if (size <= CORE_RELO_SIZE) return { insnOff, typeId, accessStrOff, kind };
          return { insnOff, typeId, accessStrOff, kind, extra: extraBytes(bytes, at, CORE_RELO_SIZE, size) };
        })
      : undefined;
  return { littleEndian: le, version, flags, hdrLen, funcInfo, lineInfo, coreRelo };
}

function extraBytes(bytes: Uint8Array, at: number, known: number, size: number): Uint8Array {
  return bytes.slice(at + known, at + size);
}

function subsection<R>(
  r: Reader,
  hdrLen: number,
  fieldAt: number,
  minRecord: number,
  what: string,
  btf: Btf | undefined,
  read: (at: number, recordSize: number) => R,
): BtfExtSubsection<R> | undefined {
  const { view, le, bytes } = r;
  const off = view.getUint32(fieldAt, le);
  const len = view.getUint32(fieldAt + 4, le);
  if (len === 0) return undefined;
  const start = hdrLen + off;
  const end = start + len;
  if (end > bytes.length) fail(`${what} ${off}+${len} past the end (${bytes.length - hdrLen} data bytes)`, fieldAt);
  if (len < 4) fail(`${what} too short for its record size`, start);
  const recordSize = view.getUint32(start, le);
  if (recordSize < minRecord || recordSize % 4 !== 0) fail(`${what} record size ${recordSize}`, start);
  const sections: BtfExtSection<R>[] = [];
  let at = start + 4;
  while (at < end) {
    if (at + 8 > end) fail(`${what} section header cut short`, at);
    const nameOff = view.getUint32(at, le);
    const count = view.getUint32(at + 4, le);
    if (count === 0) fail(`${what} section has no records`, at + 4);
    if (count > (end - at - 8) / recordSize)
      fail(`${what} section claims ${count} records of ${recordSize} bytes`, at + 4);
    let name = "";
    if (btf) {
      const found = btf.stringAt(nameOff);
      if (found === undefined) fail(`${what} section name offset ${nameOff} past the strings`, at);
      name = found;
    }
    at += 8;
    const records: R[] = new Array(count);
    for (let i = 0; i < count; i++, at += recordSize) records[i] = read(at, recordSize);
    sections.push({ nameOff, name, records });
  }
  return { recordSize, sections };
}

/** Encodes .BTF.ext with subsections laid out back to back (func_info, line_info, core_relo), as clang does. */
export function encodeBtfExt(ext: BtfExt): Uint8Array {
  const le = ext.littleEndian;
  const hdrLen = ext.hdrLen;
  if (hdrLen < MIN_HEADER || hdrLen % 4 !== 0) throw new BtfError("BAD_ARGUMENT", `hdr_len ${hdrLen}`);
  if (ext.coreRelo && hdrLen < CORE_HEADER) throw new BtfError("BAD_ARGUMENT", "core_relo needs a 32-byte header");
  const size = (s: BtfExtSubsection<unknown> | undefined) =>
    s ? 4 + s.sections.reduce((n, sec) => n + 8 + sec.records.length * s.recordSize, 0) : 0;
  const funcLen = size(ext.funcInfo);
  const lineLen = size(ext.lineInfo);
  const coreLen = size(ext.coreRelo);
  const out = new Uint8Array(hdrLen + funcLen + lineLen + coreLen);
  const view = new DataView(out.buffer);
  view.setUint16(0, BTF_MAGIC, le);
  view.setUint8(2, ext.version);
  view.setUint8(3, ext.flags);
  view.setUint32(4, hdrLen, le);
  view.setUint32(8, 0, le);
  view.setUint32(12, funcLen, le);
  view.setUint32(16, funcLen, le);
  view.setUint32(20, lineLen, le);
  if (hdrLen >= CORE_HEADER) {
    view.setUint32(24, funcLen + lineLen, le);
    view.setUint32(28, coreLen, le);
  }
  let at = hdrLen;
  const put = <R extends { extra?: Uint8Array }>(
    s: BtfExtSubsection<R> | undefined,
    known: number,
    write: (at: number, r: R) => void,
  ) => {
    if (!s) return;
    if (s.recordSize < known || s.recordSize % 4 !== 0)
      throw new BtfError("BAD_ARGUMENT", `record size ${s.recordSize}`);
    view.setUint32(at, s.recordSize, le);
    at += 4;
    for (const sec of s.sections) {
      view.setUint32(at, sec.nameOff, le);
      view.setUint32(at + 4, sec.records.length, le);
      at += 8;
      for (const rec of sec.records) {
        write(at, rec);
        if (rec.extra) out.set(rec.extra.subarray(0, s.recordSize - known), at + known);
        at += s.recordSize;
      }
    }
  };
  put(ext.funcInfo, FUNC_INFO_SIZE, (p, rec) => {
    view.setUint32(p, rec.insnOff, le);
    view.setUint32(p + 4, rec.typeId, le);
  });
  put(ext.lineInfo, LINE_INFO_SIZE, (p, rec) => {
    view.setUint32(p, rec.insnOff, le);
    view.setUint32(p + 4, rec.fileNameOff, le);
    view.setUint32(p + 8, rec.lineOff, le);
    view.setUint32(p + 12, ((rec.line << 10) | (rec.column & 0x3ff)) >>> 0, le);
  });
  put(ext.coreRelo, CORE_RELO_SIZE, (p, rec) => {
    view.setUint32(p, rec.insnOff, le);
    view.setUint32(p + 4, rec.typeId, le);
    view.setUint32(p + 8, rec.accessStrOff, le);
    view.setUint32(p + 12, rec.kind, le);
  });
  return out;
}
