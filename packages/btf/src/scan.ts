// The one pass over the type section that makes a Btf usable: it records where each type starts (word index)
// and checks everything the accessors later rely on, so they can read words without bounds checks: known kind,
// record inside the section, reserved bits clear, name offsets inside the string section and type ids in range.
//
// Speed matters here (vmlinux: 126k types, 1.4M words, parsed once per process, mostly before V8 has optimized
// anything), so the common path is one table-driven loop without calls or per-kind code that only folds
// "anything wrong?" into a few accumulators; a second, precise pass finds and reports the first bad record.

import { BtfError } from "./errors.js";
import { HEADER_WORDS, KIND_LAYOUTS, KIND_NAMES, Kind, type KindLayout, kindOf, MAX_KIND, vlenOf } from "./kinds.js";

// Kind numbers as module constants: read in code that runs unoptimized (one-shot dumps), `Kind.X` is a
// property load at every use, and a switch evaluates its cases one by one.
const { FUNC, INT, ARRAY } = Kind;

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
  const starts = new Uint32Array(Math.floor(total / HEADER_WORDS));
  let count = 0;
  let maxRef = 0;
  let maxRefAt = 0;
  let pos = 0;
  const ref = (at: number) => {
    if (words[at] > maxRef) {
      maxRef = words[at];
      maxRefAt = at;
    }
  };
  while (pos < total) {
    const id = firstId + count;
    if (pos + HEADER_WORDS > total) fail("TRUNCATED", "type record cut short by the end of the type section", id, pos);
    const info = words[pos + 1];
    const kind = kindOf(info);
    const vlen = vlenOf(info);
    const layout = KIND_LAYOUTS[kind];
    if (!layout) fail("UNKNOWN_KIND", `unknown BTF kind ${kind}`, id, pos + 1);
    if ((info & INFO_RESERVED) !== 0) fail("BAD_INFO", "reserved info bits set", id, pos + 1);
    if (info >>> 31 && !layout.kindFlag) fail("BAD_INFO", "kind_flag set on a kind without one", id, pos + 1);
    if (layout.recordWords === 0) {
      if (kind === FUNC) {
        if (vlen > 2) fail("BAD_VLEN", `FUNC linkage ${vlen} is not static/global/extern`, id, pos + 1);
      } else if (vlen !== 0) {
        fail("BAD_VLEN", `non-zero vlen on ${KIND_NAMES[kind]}, a kind without members`, id, pos + 1);
      }
    }
    const records = pos + HEADER_WORDS + layout.fixedWords;
    const end = records + layout.recordWords * vlen;
    if (end > total) {
      const need = (end - pos - HEADER_WORDS) * 4;
      fail("BAD_VLEN", `vlen ${vlen} needs ${need} bytes, ${(total - pos - HEADER_WORDS) * 4} left`, id, pos + 1);
    }
    if (kind === INT && (words[pos + 3] & INT_RESERVED) !== 0) fail("BAD_INFO", "reserved INT bits set", id, pos + 3);
    if (words[pos] >= stringEnd) badName(pos, id);
    if (layout.third === "type") ref(pos + 2);
    for (const w of layout.fixedTypeIds) ref(pos + w);
    for (let r = records; r < end; r += layout.recordWords) {
      if (layout.recordName >= 0 && words[r + layout.recordName] >= stringEnd) badName(r + layout.recordName, id);
      if (layout.recordType >= 0) ref(r + layout.recordType);
    }
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

  function badName(at: number, id: number): never {
    fail("BAD_NAME_OFFSET", `name offset ${words[at]} past the strings (${stringEnd})`, id, at);
  }

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
/** Per kind: what vlen records hold. 1: name + type, 2: name only, 3: type only (all at their records' start). */
const RECORD_SHAPE = new Int8Array(32);
/** Per kind: 1 when the third header word is a type id, 2 when it is also a chain link (see cycles.ts). */
const HEADER_REF = new Int8Array(32);
/** Per kind: info bits that must be clear (reserved bits, kind_flag where not allowed, vlen where unused). */
const INFO_MUST_BE_CLEAR = new Uint32Array(32);

for (let kind = 1; kind <= MAX_KIND; kind++) {
  const layout = KIND_LAYOUTS[kind] as KindLayout;
  FIXED_WORDS[kind] = layout.fixedWords;
  RECORD_WORDS[kind] = layout.recordWords;
  if (layout.recordName === 0) RECORD_SHAPE[kind] = layout.recordType === 1 ? 1 : 2;
  else if (layout.recordType === 0) RECORD_SHAPE[kind] = 3;
  if (layout.third === "type") HEADER_REF[kind] = layout.chainLink === 2 ? 2 : 1;
  let clear = INFO_RESERVED;
  if (!layout.kindFlag) clear |= 0x80000000;
  // FUNC keeps its linkage (0..2) in vlen; other kinds without records must have vlen 0.
  if (layout.recordWords === 0) clear |= kind === FUNC ? 0xfffc : 0xffff;
  INFO_MUST_BE_CLEAR[kind] = clear >>> 0;
}

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
    if (kind === FUNC && (info & 0xffff) === 3) bad = 1;
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
    } else if (kind === ARRAY) {
      const elem = words[pos - 3];
      const index = words[pos - 2];
      if (elem > maxRef) maxRef = elem;
      if (index > maxRef) maxRef = index;
      if (elem >= firstId + count - 1) forwardLinks.push(count - 1);
    } else if (kind === INT) {
      bad |= words[pos - 1] & INT_RESERVED;
    }
  }
  if (bad !== 0 || maxName >= stringEnd || maxRef >= firstId + count) return undefined;
  return { starts: starts.subarray(0, count), forwardLinks };
}
