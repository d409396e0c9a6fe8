// Raw BTF blob <-> the word form the dedup passes work on. The blob layout is the kernel's: a header
// (magic 0xEB9F, version, flags, hdr_len, type_off/len, str_off/len), a type section of u32-word records and a
// NUL-separated string section. Everything is checked before it is used; failures are BtfDedupError.

import { BTF_MAGIC } from "../header.js";
import { extraWords, KIND_NAMES } from "../kinds.js";
import { BtfDedupError, type BtfDedupErrorCode } from "./errors.js";
import { HEAD_WORDS, kindOf, STRING_WORDS, TYPE_ID_WORDS, vlenOf, type WordLayout } from "./kinds.js";

/** Whether a Uint32Array reads little-endian words; then same-order input is copied instead of decoded. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HEADER_SIZE = 24;
/** libbpf's BTF_MAX_STR_OFFSET: string offsets are limited to 31 bits. */
const MAX_STRING_SECTION = 0x7fffffff;

/** One BTF blob (a base or a split BTF), decoded just enough to dedup it. */
export interface RawBtf {
  readonly littleEndian: boolean;
  /** The header exactly as found (hdr_len bytes, may be longer than 24), re-emitted on output like libbpf does. */
  readonly header: Uint8Array;
  /** The type section as host-order u32 words. */
  readonly words: Uint32Array;
  /** Word index of each of this blob's types, in id order (first entry = first id of this blob). */
  readonly typeStarts: Uint32Array;
  /** The string section. */
  readonly strings: Uint8Array;
}

/** What a split BTF needs to know about its base to be validated. */
export interface BaseShape {
  /** Number of ids in the base, void included (= first id of the split). */
  readonly typeIdCount: number;
  /** Length of the base string section (= first string offset of the split). */
  readonly stringLength: number;
}

function fail(
  code: BtfDedupErrorCode,
  message: string,
  section: ".BTF" | "base .BTF",
  offset?: number,
  typeId?: number,
): never {
  throw new BtfDedupError(code, message, { section, offset, typeId });
}

/** Decodes and validates a raw BTF blob. Pass `base` when the blob is split BTF on top of another one. */
export function parseRawBtf(bytes: Uint8Array, base?: BaseShape, section: ".BTF" | "base .BTF" = ".BTF"): RawBtf {
  if (bytes.length < HEADER_SIZE) fail("TRUNCATED", `too short for a BTF header: ${bytes.length} bytes`, section, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let littleEndian: boolean;
  if (view.getUint16(0, true) === BTF_MAGIC) littleEndian = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) littleEndian = false;
  else fail("BAD_MAGIC", `bad magic 0x${view.getUint16(0, true).toString(16)}`, section, 0);
  const version = view.getUint8(2);
  if (version !== 1) fail("BAD_VERSION", `unsupported BTF version ${version}`, section, 2);
  const hdrLen = view.getUint32(4, littleEndian);
  if (hdrLen < HEADER_SIZE || hdrLen > bytes.length) fail("BAD_HEADER", `bad header length ${hdrLen}`, section, 4);
  const typeOff = view.getUint32(8, littleEndian);
  const typeLen = view.getUint32(12, littleEndian);
  const strOff = view.getUint32(16, littleEndian);
  const strLen = view.getUint32(20, littleEndian);
  const dataLen = bytes.length - hdrLen;
  if (typeOff % 4 !== 0) fail("BAD_HEADER", `type section offset ${typeOff} is not 4-byte aligned`, section, 8);
  if (typeLen % 4 !== 0) fail("BAD_HEADER", `type section length ${typeLen} is not a multiple of 4`, section, 12);
  if (typeOff > dataLen || typeLen > dataLen - typeOff) fail("BAD_HEADER", "type section out of bounds", section, 8);
  if (strOff > dataLen || strLen > dataLen - strOff) fail("BAD_HEADER", "string section out of bounds", section, 16);
  if (strLen > MAX_STRING_SECTION) fail("BAD_HEADER", `string section too large: ${strLen}`, section, 20);

  const strings = bytes.slice(hdrLen + strOff, hdrLen + strOff + strLen);
  if (!base && (strLen === 0 || strings[0] !== 0))
    fail("BAD_STRINGS", "string section must start with an empty string", section);
  if (strLen > 0 && strings[strLen - 1] !== 0) fail("BAD_STRINGS", "string section must end with a NUL byte", section);

  const wordCount = typeLen / 4;
  const typeStart = hdrLen + typeOff;
  let words: Uint32Array;
  if (littleEndian === HOST_LITTLE_ENDIAN) {
    words = new Uint32Array(bytes.slice(typeStart, typeStart + typeLen).buffer, 0, wordCount);
  } else {
    words = new Uint32Array(wordCount);
    for (let i = 0; i < wordCount; i++) words[i] = view.getUint32(typeStart + 4 * i, littleEndian);
  }

  // First pass: record boundaries. A record is at least 3 words, so the count is bounded by the section size.
  const starts = new Uint32Array(Math.floor(wordCount / HEAD_WORDS));
  const firstId = base ? base.typeIdCount : 1;
  let count = 0;
  for (let at = 0; at < wordCount; ) {
    const id = firstId + count;
    const offset = typeStart + at * 4;
    if (at + HEAD_WORDS > wordCount) fail("TRUNCATED", "truncated type record", section, offset, id);
    const info = words[at + 1] as number;
    const extra = extraWords(kindOf(info), vlenOf(info));
    if (extra < 0) fail("UNKNOWN_KIND", `unknown kind ${kindOf(info)}`, section, offset, id);
    if (at + HEAD_WORDS + extra > wordCount)
      fail("TRUNCATED", `truncated ${KIND_NAMES[kindOf(info)]} record`, section, offset, id);
    starts[count++] = at;
    at += HEAD_WORDS + extra;
  }
  const typeStarts = starts.slice(0, count);

  // Second pass: every type id and string offset must point inside the BTF, so later passes can index freely.
  const idLimit = firstId + count;
  const strLimit = (base ? base.stringLength : 0) + strLen;
  for (let i = 0; i < count; i++) {
    const at = typeStarts[i] as number;
    const kind = kindOf(words[at + 1] as number);
    const vlen = vlenOf(words[at + 1] as number);
    checkWords(words, TYPE_ID_WORDS, kind, vlen, at, idLimit, (w) => {
      fail("BAD_TYPE_ID", `reference to type ${words[w]} out of range`, section, typeStart + w * 4, firstId + i);
    });
    checkWords(words, STRING_WORDS, kind, vlen, at, strLimit, (w) => {
      fail("BAD_NAME_OFFSET", `string offset ${words[w]} out of range`, section, typeStart + w * 4, firstId + i);
    });
  }
  return { littleEndian, header: bytes.slice(0, hdrLen), words, typeStarts, strings };
}

/** Calls `bad(word)` for the first word of the layout whose value is not below `limit`. */
function checkWords(
  words: Uint32Array,
  layout: WordLayout,
  kind: number,
  vlen: number,
  at: number,
  limit: number,
  bad: (wordIndex: number) => void,
): void {
  for (const off of layout.fixed[kind] as readonly number[]) if ((words[at + off] as number) >= limit) bad(at + off);
  const start = layout.memberStart[kind] as number;
  if (start < 0) return;
  const stride = layout.memberStride[kind] as number;
  const end = at + start + stride * vlen;
  for (let w = at + start; w < end; w += stride) if ((words[w] as number) >= limit) bad(w);
}

/** Encodes header + type words + strings into a blob in the given byte order, as libbpf's btf__raw_data does. */
export function encodeRawBtf(
  header: Uint8Array,
  words: Uint32Array,
  strings: Uint8Array,
  littleEndian: boolean,
): Uint8Array {
  const hdrLen = header.length;
  const typeLen = words.length * 4;
  const out = new Uint8Array(hdrLen + typeLen + strings.length);
  out.set(header, 0);
  const view = new DataView(out.buffer);
  // libbpf keeps type_off from the input header and places strings right after the types.
  view.setUint32(12, typeLen, littleEndian);
  view.setUint32(16, typeLen, littleEndian);
  view.setUint32(20, strings.length, littleEndian);
  if (littleEndian === HOST_LITTLE_ENDIAN && hdrLen % 4 === 0) {
    new Uint32Array(out.buffer, hdrLen, words.length).set(words);
  } else {
    for (let i = 0; i < words.length; i++) view.setUint32(hdrLen + 4 * i, words[i] as number, littleEndian);
  }
  out.set(strings, hdrLen + typeLen);
  return out;
}
