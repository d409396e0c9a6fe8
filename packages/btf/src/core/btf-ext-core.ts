// The core_relo part of .BTF.ext, decoded into per-section record lists. Only what CO-RE needs; every length and
// count is checked against the buffer before use. Record size comes from the section header, so records larger than
// today's 16 bytes (future fields) are accepted and their extra bytes skipped, as libbpf does.

import type { CoreBtf } from "./btf-view.js";
import { CoreRelocationError } from "./errors.js";
import type { CoreReloRecord, CoreReloSection } from "./relocate.js";

const MAGIC = 0xeb9f;
const MIN_RECORD = 16;

function bad(message: string, offset: number): never {
  throw new CoreRelocationError("BAD_RECORD", `.BTF.ext: ${message} (byte ${offset})`);
}

/** Decodes core_relo records; `btf` resolves section names and access strings. Empty when the object has none. */
export function parseCoreRelos(ext: Uint8Array, btf: CoreBtf): CoreReloSection[] {
  if (ext.length < 8) bad(`${ext.length} bytes is too short for a header`, 0);
  const view = new DataView(ext.buffer, ext.byteOffset, ext.byteLength);
  let le: boolean;
  if (view.getUint16(0, true) === MAGIC) le = true;
  else if (view.getUint16(0, false) === MAGIC) le = false;
  else bad("bad magic", 0);
  if (view.getUint8(2) !== 1) bad(`unsupported version ${view.getUint8(2)}`, 2);
  const headerLength = view.getUint32(4, le);
  if (headerLength < 8 || headerLength > ext.length) bad(`bad header length ${headerLength}`, 4);
  // Objects from old compilers stop after line_info (hdr_len 24): no CO-RE relocations.
  if (headerLength < 32) return [];
  const coreOff = view.getUint32(24, le);
  const coreLen = view.getUint32(28, le);
  if (coreLen === 0) return [];
  const start = headerLength + coreOff;
  if (coreOff > ext.length - headerLength || coreLen > ext.length - start)
    bad("core_relo subsection out of bounds", 24);
  const end = start + coreLen;
  if (coreLen < 4) bad("core_relo subsection too short for its record size", start);
  const recordSize = view.getUint32(start, le);
  if (recordSize < MIN_RECORD || recordSize % 4 !== 0) bad(`core_relo record size ${recordSize} is invalid`, start);

  const sections: CoreReloSection[] = [];
  let pos = start + 4;
  while (pos < end) {
    if (end - pos < 8) bad("truncated section header", pos);
    const nameOff = view.getUint32(pos, le);
    const count = view.getUint32(pos + 4, le);
    pos += 8;
    if (count === 0) bad("section with zero records", pos - 4);
    if (count > Math.floor((end - pos) / recordSize)) bad(`${count} records do not fit`, pos - 4);
    const name = btf.stringAt(nameOff);
    if (name === undefined || name === "") bad(`section name offset ${nameOff} is out of range`, pos - 8);
    const records: CoreReloRecord[] = [];
    for (let i = 0; i < count; i++, pos += recordSize) {
      const accessStrOff = view.getUint32(pos + 8, le);
      records.push({
        insnOff: view.getUint32(pos, le),
        typeId: view.getUint32(pos + 4, le),
        accessStrOff,
        accessString: btf.stringAt(accessStrOff),
        kind: view.getUint32(pos + 12, le),
      });
    }
    sections.push({ name, records });
  }
  return sections;
}
