// Just enough of .BTF.ext to rewrite it in place after dedup: where its string offsets and type ids live. The
// package's parseBtfExt validates and decodes it; this file records the byte position of each field it needs
// (per subsection a u32 record size, then {sec_name_off, num_info, records} groups).

import { type BtfExtSubsection, parseBtfExtOffsets } from "../btf-ext.js";
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
  /** Byte offsets inside one record of its string offsets and of its type id (-1: none). */
  readonly recordStrings: readonly number[];
  readonly recordTypeId: number;
}

const FUNC_INFO: Subsection = { recordStrings: [], recordTypeId: 4 };
const LINE_INFO: Subsection = { recordStrings: [4, 8], recordTypeId: -1 };
const CORE_RELO: Subsection = { recordStrings: [8], recordTypeId: 4 };

function fail(message: string, offset: number): never {
  throw new BtfDedupError("BAD_EXT", message, { section: ".BTF.ext", offset });
}

export function parseRawBtfExt(input: Uint8Array): RawBtfExt {
  const bytes = input.slice();
  // The package's decoder does every bounds check; a malformed blob is its BtfError. Each record comes as its
  // byte offset, and a section's name offset is the 8-byte header right before its first record (never empty).
  const ext = parseBtfExtOffsets(bytes);
  if (ext.flags !== 0) fail(`unsupported flags 0x${ext.flags.toString(16)}`, 3);
  const le = ext.littleEndian;

  const stringFields: number[] = [];
  const funcTypeIds: number[] = [];
  const coreTypeIds: number[] = [];
  const subsections: [Subsection, BtfExtSubsection<number> | undefined, number[]][] = [
    [FUNC_INFO, ext.funcInfo, funcTypeIds],
    [LINE_INFO, ext.lineInfo, []],
    [CORE_RELO, ext.coreRelo, coreTypeIds],
  ];
  for (const [sub, decoded, typeIds] of subsections) {
    if (!decoded) continue;
    for (const section of decoded.sections) {
      stringFields.push((section.records[0] as number) - 8);
      for (const at of section.records) {
        for (const field of sub.recordStrings) stringFields.push(at + field);
        if (sub.recordTypeId >= 0) typeIds.push(at + sub.recordTypeId);
      }
    }
  }
  return { bytes, littleEndian: le, stringFields, typeIdFields: [...funcTypeIds, ...coreTypeIds] };
}
