// Just enough of .BTF.ext to rewrite it after dedup: where its string offsets and type ids live. The layout is
// header (magic, version, flags, hdr_len, then off/len pairs for func_info, line_info and, if hdr_len allows,
// core_relo), and per subsection a u32 record size followed by {sec_name_off, num_info, records} groups.

import { BTF_MAGIC } from "../header.js";
import { BtfDedupError } from "./errors.js";

/** A .BTF.ext blob with the byte offsets of every string offset and type id it holds, in libbpf's visit order. */
export interface RawBtfExt {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  /** Byte offsets of u32 string offsets, in btf_ext_visit_str_offs order. */
  readonly stringFields: readonly number[];
  /** Byte offsets of u32 type ids, in btf_ext_visit_type_ids order (func_info, then core_relo). */
  readonly typeIdFields: readonly number[];
}

interface Subsection {
  readonly name: string;
  readonly minRecordSize: number;
  /** Byte offsets inside one record of its string offsets and of its type id (-1: none). */
  readonly recordStrings: readonly number[];
  readonly recordTypeId: number;
}

const FUNC_INFO: Subsection = { name: "func_info", minRecordSize: 8, recordStrings: [], recordTypeId: 4 };
const LINE_INFO: Subsection = { name: "line_info", minRecordSize: 16, recordStrings: [4, 8], recordTypeId: -1 };
const CORE_RELO: Subsection = { name: "core_relo", minRecordSize: 16, recordStrings: [8], recordTypeId: 4 };

function fail(message: string, offset: number): never {
  throw new BtfDedupError("BAD_EXT", message, { section: ".BTF.ext", offset });
}

export function parseRawBtfExt(input: Uint8Array): RawBtfExt {
  const bytes = input.slice();
  if (bytes.length < 8) fail(`too short for a .BTF.ext header: ${bytes.length} bytes`, 0);
  const view = new DataView(bytes.buffer);
  let littleEndian: boolean;
  if (view.getUint16(0, true) === BTF_MAGIC) littleEndian = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) littleEndian = false;
  else fail(`bad magic 0x${view.getUint16(0, true).toString(16)}`, 0);
  if (view.getUint8(2) !== 1) fail(`unsupported version ${view.getUint8(2)}`, 2);
  if (view.getUint8(3) !== 0) fail(`unsupported flags 0x${view.getUint8(3).toString(16)}`, 3);
  const hdrLen = view.getUint32(4, littleEndian);
  if (hdrLen < 24 || hdrLen > bytes.length) fail(`bad header length ${hdrLen}`, 4);

  const stringFields: number[] = [];
  const funcTypeIds: number[] = [];
  const coreTypeIds: number[] = [];
  const subsections: [Subsection, number, number[]][] = [
    [FUNC_INFO, 8, funcTypeIds],
    [LINE_INFO, 16, []],
  ];
  if (hdrLen >= 32) subsections.push([CORE_RELO, 24, coreTypeIds]);

  for (const [sub, headerField, typeIds] of subsections) {
    const off = view.getUint32(headerField, littleEndian);
    const len = view.getUint32(headerField + 4, littleEndian);
    if (len === 0) continue;
    const start = hdrLen + off;
    if (off > bytes.length - hdrLen || len > bytes.length - start) fail(`${sub.name} out of bounds`, headerField);
    if (len < 4) fail(`${sub.name} too short for its record size`, start);
    const recordSize = view.getUint32(start, littleEndian);
    if (recordSize < sub.minRecordSize || recordSize % 4 !== 0) fail(`${sub.name} record size ${recordSize}`, start);
    const end = start + len;
    for (let at = start + 4; at < end; ) {
      if (end - at < 8) fail(`${sub.name} truncated section header`, at);
      const count = view.getUint32(at + 4, littleEndian);
      if (count === 0) fail(`${sub.name} section with no records`, at);
      if (count > Math.floor((end - at - 8) / recordSize)) fail(`${sub.name} record count ${count} too large`, at);
      stringFields.push(at);
      at += 8;
      for (let i = 0; i < count; i++, at += recordSize) {
        for (const field of sub.recordStrings) stringFields.push(at + field);
        if (sub.recordTypeId >= 0) typeIds.push(at + sub.recordTypeId);
      }
    }
  }
  return { bytes, littleEndian, stringFields, typeIdFields: [...funcTypeIds, ...coreTypeIds] };
}
