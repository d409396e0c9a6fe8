// The one pass over the type section that makes a Btf usable: it records where each type starts (word index)
// and checks everything the accessors later rely on, so they can read words without bounds checks: known kind,
// record inside the section, reserved bits clear, name offsets inside the string section and type ids in range.
//
// Speed matters here (vmlinux: 126k types, 1.4M words, parsed once per process, mostly before V8 has optimized
// anything), so the common path is one table-driven loop without calls or per-kind code that only folds
// "anything wrong?" into a few accumulators; a second, precise pass finds and reports the first bad record.

import { BtfError } from "./errors.js";
import { allowsKindFlag, extraWords, Kind, MAX_KIND } from "./kinds.js";

export interface ScanResult {
  /** Word index of each type (the common path leaves a zero word in front of it in its buffer). */
  readonly starts: Uint32Array;
  /**
   * Own types (index = id - firstId) whose chain link points at the same or a later id, or undefined when they
   * were not collected. Every reference loop contains such a link, so the cycle check starts only from these.
   */
  readonly forwardLinks: readonly number[] | undefined;
}

export interface ScanInput {
  /** The type section as host-order u32 words. */
  readonly words: Uint32Array;
  /** Id of the first type in the section (1, or the base's type count for split BTF). */
  readonly firstId: number;
  /** One past the largest valid string offset (base strings included). */
  readonly stringEnd: number;
  /** Byte offset of the type section in the blob, for error offsets. */
  readonly sectionOffset: number;
  /** Blob name for error messages (default ".BTF"). */
  readonly section?: string;
}

/** Bits of `info` that no kind uses: 16..23 and 29..30. */
const INFO_RESERVED = 0x60ff0000;
/** Bits of an INT's data word outside bits / offset / encoding. */
const INT_RESERVED = 0xf000ff00;

/**
 * The precise pass: same checks as fastScan, record by record, throwing a BtfError that names the first bad
 * record. Only runs when fastScan saw something wrong (or for small inputs, where speed does not matter).
 */
function diagnoseTypes(input: ScanInput): Uint32Array {
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
    throw new BtfError(code, message, { section: input.section ?? ".BTF", typeId, offset: sectionOffset + word * 4 });
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

/** Locates every type. Throws BtfError on the first malformed record. */
export function scanTypes(input: ScanInput): ScanResult {
  return fastScan(input) ?? { starts: diagnoseTypes(input), forwardLinks: undefined };
}

/** Per kind (index = kind, 32 entries): extra words before the vlen records, -1 for unknown kinds. */
const FIXED_WORDS = new Int8Array(32).fill(-1);
/** Per kind: words per vlen record. */
const RECORD_WORDS = new Int8Array(32);
/** Per kind: what vlen records hold. 1: name + type, 2: name only, 3: type only. */
const RECORD_SHAPE = new Int8Array(32);
/** Per kind: 1 when the third header word is a type id, 2 when it is also a chain link (see cycles.ts). */
const HEADER_REF = new Int8Array(32);
/** Per kind: info bits that must be clear (reserved bits, kind_flag where not allowed, vlen where unused). */
const INFO_MUST_BE_CLEAR = new Uint32Array(32);

for (let kind = 1; kind <= MAX_KIND; kind++) {
  const perRecord = extraWords(kind, 1) - extraWords(kind, 0);
  FIXED_WORDS[kind] = extraWords(kind, 0);
  RECORD_WORDS[kind] = perRecord;
  let clear = INFO_RESERVED;
  if (!allowsKindFlag(kind)) clear |= 0x80000000;
  // FUNC keeps its linkage (0..2) in vlen; other kinds without records must have vlen 0.
  if (perRecord === 0) clear |= kind === Kind.FUNC ? 0xfffc : 0xffff;
  INFO_MUST_BE_CLEAR[kind] = clear >>> 0;
}
for (const kind of [
  Kind.PTR,
  Kind.TYPEDEF,
  Kind.VOLATILE,
  Kind.CONST,
  Kind.RESTRICT,
  Kind.FUNC,
  Kind.VAR,
  Kind.DECL_TAG,
  Kind.TYPE_TAG,
]) {
  HEADER_REF[kind] = 2;
}
HEADER_REF[Kind.FUNC_PROTO] = 1;
RECORD_SHAPE[Kind.STRUCT] = 1;
RECORD_SHAPE[Kind.UNION] = 1;
RECORD_SHAPE[Kind.FUNC_PROTO] = 1;
RECORD_SHAPE[Kind.ENUM] = 2;
RECORD_SHAPE[Kind.ENUM64] = 2;
RECORD_SHAPE[Kind.DATASEC] = 3;

/** The common path: starts of every type, or undefined when anything is off (then diagnoseTypes reports it). */
function fastScan(input: ScanInput): ScanResult | undefined {
  const { words, firstId, stringEnd } = input;
  const total = words.length;
  // One zero word in front (void's slot): the C dumper uses the result as its id-indexed table without a copy.
  const slots = new Uint32Array(1 + Math.floor(total / 3));
  const starts = slots.subarray(1);
  let count = 0;
  let pos = 0;
  let bad = 0;
  let maxName = 0;
  let maxRef = 0;
  const forwardLinks: number[] = [];
  while (pos < total) {
    const name = words[pos];
    const info = words[pos + 1];
    const kind = (info >>> 24) & 0x1f;
    const fixed = FIXED_WORDS[kind];
    const perRecord = RECORD_WORDS[kind];
    bad |= (fixed >>> 31) | (info & INFO_MUST_BE_CLEAR[kind]);
    // FUNC linkage lives in vlen: 0..2 (the mask above already limits it to 0..3).
    if (kind === Kind.FUNC && (info & 0xffff) === 3) bad = 1;
    if (name > maxName) maxName = name;
    const headerRef = HEADER_REF[kind];
    if (headerRef !== 0) {
      const ref = words[pos + 2];
      if (ref > maxRef) maxRef = ref;
      if (headerRef === 2 && ref >= firstId + count) forwardLinks.push(count);
    }
    starts[count++] = pos;
    const records = pos + 3 + fixed;
    pos = records + perRecord * (info & 0xffff);
    if (pos > total) return undefined;
    const shape = RECORD_SHAPE[kind];
    if (shape === 1) {
      for (let i = records; i < pos; i += perRecord) {
        const n = words[i];
        if (n > maxName) maxName = n;
        const t = words[i + 1];
        if (t > maxRef) maxRef = t;
      }
    } else if (shape === 2) {
      for (let i = records; i < pos; i += perRecord) {
        const n = words[i];
        if (n > maxName) maxName = n;
      }
    } else if (shape === 3) {
      for (let i = records; i < pos; i += perRecord) {
        const t = words[i];
        if (t > maxRef) maxRef = t;
      }
    } else if (kind === Kind.ARRAY) {
      const elem = words[pos - 3];
      const index = words[pos - 2];
      if (elem > maxRef) maxRef = elem;
      if (index > maxRef) maxRef = index;
      if (elem >= firstId + count - 1) forwardLinks.push(count - 1);
    } else if (kind === Kind.INT) {
      bad |= words[pos - 1] & INT_RESERVED;
    }
  }
  if (bad !== 0 || maxName >= stringEnd || maxRef >= firstId + count) return undefined;
  return { starts: starts.subarray(0, count), forwardLinks };
}
