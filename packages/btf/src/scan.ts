// The one pass over the type section that makes a Btf usable: it records where each type starts (word index)
// and checks everything the accessors later rely on, so they can read words without bounds checks: known kind,
// record inside the section, reserved bits clear, name offsets inside the string section and type ids in range.

import { BtfError } from "./errors.js";
import { allowsKindFlag, extraWords, Kind } from "./kinds.js";

export interface ScanInput {
  /** The type section as host-order u32 words. */
  readonly words: Uint32Array;
  /** Id of the first type in the section (1, or the base's type count for split BTF). */
  readonly firstId: number;
  /** One past the largest valid string offset (base strings included). */
  readonly stringEnd: number;
  /** Byte offset of the type section in the blob, for error offsets. */
  readonly sectionOffset: number;
}

/** Bits of `info` that no kind uses: 16..23 and 29..30. */
const INFO_RESERVED = 0x60ff0000;
/** Bits of an INT's data word outside bits / offset / encoding. */
const INT_RESERVED = 0xf000ff00;

/** Returns the word index of each type. Throws BtfError on the first malformed record. */
export function scanTypes(input: ScanInput): Uint32Array {
  const { words, firstId, stringEnd, sectionOffset } = input;
  const total = words.length;
  // Every record is at least 3 words, which bounds the number of types before we know it.
  const starts = new Uint32Array(Math.floor(total / 3));
  let count = 0;
  let maxRef = 0;
  let maxRefAt = 0;
  let badName = -1;
  let pos = 0;
  while (pos < total) {
    if (pos + 3 > total)
      fail("TRUNCATED", "type record cut short by the end of the type section", firstId + count, pos);
    const info = words[pos + 1];
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const extra = extraWords(kind, vlen);
    if (extra < 0 || kind === 0) fail("UNKNOWN_KIND", `unknown BTF kind ${kind}`, firstId + count, pos + 1);
    if ((info & INFO_RESERVED) !== 0) fail("BAD_INFO", "reserved info bits set", firstId + count, pos + 1);
    if (info >>> 31 && !allowsKindFlag(kind))
      fail("BAD_INFO", "kind_flag set on a kind without one", firstId + count, pos + 1);
    const end = pos + 3 + extra;
    if (end > total) {
      fail(
        "BAD_VLEN",
        `vlen ${vlen} needs ${extra * 4} bytes, ${(total - pos - 3) * 4} left`,
        firstId + count,
        pos + 1,
      );
    }
    if (words[pos] >= stringEnd) badName = pos;
    switch (kind) {
      case Kind.INT:
        if (vlen !== 0) fail("BAD_VLEN", "INT with non-zero vlen", firstId + count, pos + 1);
        if ((words[pos + 3] & INT_RESERVED) !== 0) fail("BAD_INFO", "reserved INT bits set", firstId + count, pos + 3);
        break;
      case Kind.PTR:
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
      case Kind.VAR:
      case Kind.DECL_TAG:
        if (vlen !== 0) fail("BAD_VLEN", "non-zero vlen on a kind without members", firstId + count, pos + 1);
        if (words[pos + 2] > maxRef) {
          maxRef = words[pos + 2];
          maxRefAt = pos + 2;
        }
        break;
      case Kind.FUNC:
        if (vlen > 2) fail("BAD_VLEN", `FUNC linkage ${vlen} is not static/global/extern`, firstId + count, pos + 1);
        if (words[pos + 2] > maxRef) {
          maxRef = words[pos + 2];
          maxRefAt = pos + 2;
        }
        break;
      case Kind.FWD:
      case Kind.FLOAT:
        if (vlen !== 0) fail("BAD_VLEN", "non-zero vlen on a kind without members", firstId + count, pos + 1);
        break;
      case Kind.ARRAY:
        if (vlen !== 0) fail("BAD_VLEN", "ARRAY with non-zero vlen", firstId + count, pos + 1);
        for (let i = pos + 3; i < pos + 5; i++) {
          if (words[i] > maxRef) {
            maxRef = words[i];
            maxRefAt = i;
          }
        }
        break;
      case Kind.STRUCT:
      case Kind.UNION:
        for (let i = pos + 3; i < end; i += 3) {
          if (words[i] >= stringEnd) badName = i;
          if (words[i + 1] > maxRef) {
            maxRef = words[i + 1];
            maxRefAt = i + 1;
          }
        }
        break;
      case Kind.ENUM:
        for (let i = pos + 3; i < end; i += 2) if (words[i] >= stringEnd) badName = i;
        break;
      case Kind.ENUM64:
        for (let i = pos + 3; i < end; i += 3) if (words[i] >= stringEnd) badName = i;
        break;
      case Kind.FUNC_PROTO:
        if (words[pos + 2] > maxRef) {
          maxRef = words[pos + 2];
          maxRefAt = pos + 2;
        }
        for (let i = pos + 3; i < end; i += 2) {
          if (words[i] >= stringEnd) badName = i;
          if (words[i + 1] > maxRef) {
            maxRef = words[i + 1];
            maxRefAt = i + 1;
          }
        }
        break;
      case Kind.DATASEC:
        for (let i = pos + 3; i < end; i += 3) {
          if (words[i] > maxRef) {
            maxRef = words[i];
            maxRefAt = i;
          }
        }
        break;
    }
    if (badName >= 0)
      fail(
        "BAD_NAME_OFFSET",
        `name offset ${words[badName]} past the strings (${stringEnd})`,
        firstId + count,
        badName,
      );
    starts[count++] = pos;
    pos = end;
  }
  const typeCount = firstId + count;
  if (maxRef >= typeCount) {
    fail(
      "BAD_TYPE_ID",
      `reference to type ${maxRef}, last type is ${typeCount - 1}`,
      ownerOf(starts, count, maxRefAt, firstId),
      maxRefAt,
    );
  }
  return starts.subarray(0, count);

  function fail(
    code: "TRUNCATED" | "UNKNOWN_KIND" | "BAD_INFO" | "BAD_VLEN" | "BAD_NAME_OFFSET" | "BAD_TYPE_ID",
    message: string,
    typeId: number,
    word: number,
  ): never {
    throw new BtfError(code, message, { section: ".BTF", typeId, offset: sectionOffset + word * 4 });
  }
}

/** Id of the type whose record contains word `at` (binary search over starts). */
function ownerOf(starts: Uint32Array, count: number, at: number, firstId: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  return firstId + lo;
}
