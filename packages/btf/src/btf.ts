// Btf: a parsed BTF blob. Parsing is one validated pass that records where each type starts; names, strings and
// decoded type objects are produced only when asked. Accessors take global ids (a split BTF sees its base's ids
// first) and read straight from the type words, so hot paths (C dump, CO-RE, dedup) allocate nothing.

import { concatBytes } from "./byte-sink.js";
import { checkReferenceCycles, cycleError } from "./cycles.js";
import { decodeType } from "./decode-type.js";
import { BtfError } from "./errors.js";
import { type BtfHeader, parseBtfHeader } from "./header.js";
import { Kind } from "./kinds.js";
import { LONG_INT_NAMES } from "./long-names.js";
import { NameIndex } from "./name-index.js";
import { scanTypes } from "./scan.js";
import { StringTable } from "./strings.js";
import type { BtfType, VoidType } from "./types.js";
import { alignOf, resolveSize, skipModsAndTypedefs } from "./walks.js";
import { recordWasmOutcome } from "./wasm/instance.js";
import { wasmScan, wasmScanApplies } from "./wasm/scan-wasm.js";
import { wordsOf, writeBtfBlob } from "./words.js";

// The model and its one error, for callers that import this module alone (the lean "@bpfkit/btf/btf" entry).
export { BtfError };

/**
 * Which implementation runs a hot path that has two (WebAssembly and TypeScript): the same option, with the same
 * meaning, on parsing and on every dump. "auto" picks WebAssembly where it applies and pays off.
 */
export type Engine = "auto" | "js" | "wasm";

/**
 * Every type of a BTF and of its bases in one id space: what consumers that walk the whole graph by id read
 * (the C dump, dedup). Built once per Btf on first use; for base BTF it shares the parsed words (no copy).
 */
export interface FlatTypes {
  /** Type records of ids 1.. (base types first) as host-order u32 words. */
  readonly words: Uint32Array;
  /** `starts[id]` is the word index of type `id`'s record; starts[0] (void, which has no record) is 0. */
  readonly starts: Uint32Array;
  /** The string sections of the bases and this BTF, joined, so global name offsets index it directly. */
  readonly strings: Uint8Array;
}

export interface BtfParseOptions {
  /** Base BTF when `bytes` is split BTF (e.g. a kernel module's BTF on top of vmlinux). */
  readonly base?: Btf;
  /**
   * Check reference cycles (default true). The per-record checks (kinds, sizes, name offsets, type ids) always
   * run: the accessors rely on them.
   */
  readonly checkCycles?: boolean;
  /** Name used in error messages (default ".BTF"). */
  readonly section?: string;
  /**
   * Which implementation scans the type section: "auto" (default) uses WebAssembly for large little-endian
   * blobs such as vmlinux and JavaScript otherwise; "js" / "wasm" force one (wasm falls back to js where it
   * does not apply). Both accept and reject exactly the same input.
   */
  readonly engine?: Engine;
}

/** Type sections from this size on (vmlinux: 3.4 MB) are scanned in WebAssembly by default. */
const WASM_MIN_TYPE_BYTES = 1 << 18;

const VOID: VoidType = { kind: Kind.UNKN, name: "" };

export class Btf {
  readonly base: Btf | undefined;
  readonly header: BtfHeader;
  readonly littleEndian: boolean;
  /** First id this blob defines: 1 for base BTF, the base's typeCount for split BTF. */
  readonly firstOwnId: number;
  /** Number of ids, void and the base included: valid ids are 0 .. typeCount-1. */
  readonly typeCount: number;
  /** String section (offsets continue the base's for split BTF). */
  readonly strings: StringTable;
  /** This blob's type section as host-order u32 words. */
  readonly words: Uint32Array;
  /** Word index in `words` of each own type (index = id - firstOwnId). */
  readonly starts: Uint32Array;
  private names: NameIndex | undefined;
  private pointerSizeCache = 0;
  private flatCache: FlatTypes | undefined;

  private constructor(
    header: BtfHeader,
    base: Btf | undefined,
    strings: StringTable,
    words: Uint32Array,
    starts: Uint32Array,
  ) {
    this.header = header;
    this.littleEndian = header.littleEndian;
    this.base = base;
    this.strings = strings;
    this.words = words;
    this.starts = starts;
    this.firstOwnId = base ? base.typeCount : 1;
    this.typeCount = this.firstOwnId + starts.length;
  }

  /** Decodes and validates a raw BTF blob (the `.BTF` section of an object, or /sys/kernel/btf/*). */
  static parse(bytes: Uint8Array, options: BtfParseOptions = {}): Btf {
    const section = options.section ?? ".BTF";
    const header = parseBtfHeader(bytes, section);
    const base = options.base;
    const strStart = header.hdrLen + header.strOff;
    const strBytes = bytes.subarray(strStart, strStart + header.strLen);
    if (!base && (strBytes.length === 0 || strBytes[0] !== 0)) {
      throw new BtfError("BAD_STRINGS", "string section must start with a NUL byte", { section, offset: strStart });
    }
    if (strBytes.length > 0 && strBytes[strBytes.length - 1] !== 0) {
      throw new BtfError("BAD_STRINGS", "string section must end with a NUL byte", {
        section,
        offset: strStart + strBytes.length - 1,
      });
    }
    const strings = new StringTable(strBytes, base?.strings);
    const typeStart = header.hdrLen + header.typeOff;
    const firstId = base ? base.typeCount : 1;
    const checkCycles = options.checkCycles !== false;
    const engine = options.engine ?? "auto";
    if (
      engine !== "js" &&
      (engine === "wasm" || header.typeLen >= WASM_MIN_TYPE_BYTES) &&
      wasmScanApplies(header.littleEndian, header.typeLen)
    ) {
      const fast = wasmScan(bytes, typeStart, header.typeLen, strings.end, firstId, checkCycles);
      if (fast) {
        // Recorded where the answer is taken (wasmScan records why it gave up): tests read it to see this path ran.
        recordWasmOutcome("scan", fast.cycleAt >= 0 ? "cycle" : "complete");
        if (fast.cycleAt >= 0) {
          throw cycleError(firstId + fast.cycleAt, typeStart + fast.starts[fast.cycleAt] * 4, section);
        }
        return new Btf(header, base, strings, fast.words, fast.starts);
      }
      // Malformed: the JavaScript scan below finds and reports the first problem.
    }
    const words = wordsOf(bytes, typeStart, header.typeLen, header.littleEndian);
    const scan = scanTypes({ words, firstId, stringEnd: strings.end, sectionOffset: typeStart, section });
    if (checkCycles) checkReferenceCycles(words, scan.starts, firstId, typeStart, scan.forwardLinks, section);
    return new Btf(header, base, strings, words, scan.starts);
  }

  /** Number of types this blob defines (without void or the base). */
  get ownTypeCount(): number {
    return this.starts.length;
  }

  /** All types of this BTF and its bases in one id space (see FlatTypes); built on first use, then kept. */
  flat(): FlatTypes {
    this.flatCache ??= flattenTypes(this);
    return this.flatCache;
  }

  /** Word index in `words` where own type `id` starts; throws BtfError for ids this blob does not define. */
  wordIndex(id: number): number {
    return this.at(id);
  }

  /**
   * A Btf over a private copy of this one's type words (same header, strings and base), for callers that patch
   * fixed-size fields in place: the accessors read the words, so a patch shows at once; toBytes() writes them out.
   */
  withPrivateWords(): Btf {
    return new Btf(this.header, this.base, this.strings, this.words.slice(), this.starts);
  }

  /**
   * This blob as raw bytes in its own byte order: the header (version, flags and hdr_len kept), the type words
   * right after it, then the strings. Always a valid blob (type_off 0), whatever layout the input had.
   */
  toBytes(): Uint8Array {
    const { version, flags, hdrLen } = this.header;
    return writeBtfBlob({
      header: { version, flags, hdrLen },
      words: this.words,
      strings: this.strings.bytes,
      littleEndian: this.littleEndian,
    });
  }

  // ---- cheap accessors (no allocation) ----

  /** Word index of an own type; throws for ids outside this blob. Callers handle base ids and void first. */
  private at(id: number): number {
    const local = id - this.firstOwnId;
    if (!(local >= 0 && local < this.starts.length)) {
      throw new BtfError("BAD_TYPE_ID", `type id ${id} out of range [0, ${this.typeCount})`, { typeId: id });
    }
    return this.starts[local];
  }

  /** The blob that defines `id`, or undefined for void. */
  private owner(id: number): Btf | undefined {
    if (id >= this.firstOwnId) return this;
    if (this.base) return this.base.owner(id);
    if (id === 0) return undefined;
    throw new BtfError("BAD_TYPE_ID", `type id ${id} out of range [0, ${this.typeCount})`, { typeId: id });
  }

  /** Kind number (Kind.*); 0 for void. */
  kind(id: number): number {
    if (id < this.firstOwnId) return this.owner(id)?.kind(id) ?? Kind.UNKN;
    return (this.words[this.at(id) + 1] >>> 24) & 0x1f;
  }

  /** Raw info word (vlen | kind << 24 | kind_flag << 31); 0 for void. */
  info(id: number): number {
    if (id < this.firstOwnId) return this.owner(id)?.info(id) ?? 0;
    return this.words[this.at(id) + 1];
  }

  kindFlag(id: number): boolean {
    return this.info(id) >>> 31 === 1;
  }

  /** Number of members / values / params / vars; a FUNC's linkage. */
  vlen(id: number): number {
    return this.info(id) & 0xffff;
  }

  /** Name offset in the string section; 0 for anonymous types and void. */
  nameOff(id: number): number {
    if (id < this.firstOwnId) return this.owner(id)?.nameOff(id) ?? 0;
    return this.words[this.at(id)];
  }

  /** Type name, "" when anonymous. */
  nameOf(id: number): string {
    return this.strings.at(this.nameOff(id)) ?? "";
  }

  /** The third header word: `size` of INT/STRUCT/UNION/ENUM/ENUM64/DATASEC/FLOAT, `type` of the others. */
  private third(id: number): number {
    if (id < this.firstOwnId) return this.owner(id)?.third(id) ?? 0;
    return this.words[this.at(id) + 2];
  }

  /** The raw `size` field (INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT); meaningless for other kinds. */
  sizeOf(id: number): number {
    return this.third(id);
  }

  /** Alias of sizeOf (the name CO-RE uses). */
  sizeField(id: number): number {
    return this.third(id);
  }

  /** The raw `type` field (PTR, TYPEDEF, modifiers, FUNC, FUNC_PROTO return, VAR, DECL_TAG, TYPE_TAG). */
  typeIdOf(id: number): number {
    return this.third(id);
  }

  /** Alias of typeIdOf (the name CO-RE uses). */
  refType(id: number): number {
    return this.third(id);
  }

  /** Word `word` of the kind-specific data of `id` (after the 3-word header); bounds-checked against vlen. */
  private extra(id: number, index: number, stride: number, word: number): number {
    if (id < this.firstOwnId) {
      const owner = this.owner(id);
      if (!owner) throw new BtfError("BAD_ARGUMENT", "void has no members", { typeId: id });
      return owner.extra(id, index, stride, word);
    }
    const start = this.at(id);
    const vlen = this.words[start + 1] & 0xffff;
    if (!(index >= 0 && index < vlen)) {
      throw new BtfError("BAD_ARGUMENT", `member index ${index} out of range [0, ${vlen})`, { typeId: id });
    }
    return this.words[start + 3 + index * stride + word];
  }

  /** Single extra word (INT data, ARRAY fields, VAR linkage, DECL_TAG component). */
  private fixed(id: number, word: number): number {
    if (id < this.firstOwnId) {
      const owner = this.owner(id);
      if (!owner) throw new BtfError("BAD_ARGUMENT", "void has no data", { typeId: id });
      return owner.fixed(id, word);
    }
    return this.words[this.at(id) + 3 + word];
  }

  // STRUCT / UNION members
  memberNameOff(id: number, index: number): number {
    return this.extra(id, index, 3, 0);
  }
  memberName(id: number, index: number): string {
    return this.strings.at(this.extra(id, index, 3, 0)) ?? "";
  }
  memberType(id: number, index: number): number {
    return this.extra(id, index, 3, 1);
  }
  /** Member offset in bits, bitfield-aware (kind_flag splits the word into size << 24 | offset). */
  memberBitOffset(id: number, index: number): number {
    const raw = this.extra(id, index, 3, 2);
    return this.kindFlag(id) ? raw & 0xffffff : raw;
  }
  /** Bitfield width in bits, 0 for a plain member. */
  memberBitfieldSize(id: number, index: number): number {
    return this.kindFlag(id) ? this.extra(id, index, 3, 2) >>> 24 : 0;
  }

  // ARRAY
  arrayElemType(id: number): number {
    return this.fixed(id, 0);
  }
  arrayIndexType(id: number): number {
    return this.fixed(id, 1);
  }
  arrayLength(id: number): number {
    return this.fixed(id, 2);
  }

  // INT
  /** IntEncoding bits (SIGNED 1, CHAR 2, BOOL 4). */
  intEncoding(id: number): number {
    return (this.fixed(id, 0) >>> 24) & 0x0f;
  }
  intOffset(id: number): number {
    return (this.fixed(id, 0) >>> 16) & 0xff;
  }
  intBits(id: number): number {
    return this.fixed(id, 0) & 0xff;
  }

  // ENUM / ENUM64
  enumValueNameOff(id: number, index: number): number {
    return this.extra(id, index, this.kind(id) === Kind.ENUM64 ? 3 : 2, 0);
  }
  enumValueName(id: number, index: number): string {
    return this.strings.at(this.enumValueNameOff(id, index)) ?? "";
  }
  /** CO-RE's view: ENUM values as signed 32-bit (libbpf's `__s32 val`), ENUM64 values as unsigned 64-bit. */
  enumValue(id: number, index: number): bigint {
    if (this.kind(id) === Kind.ENUM64) {
      return (BigInt(this.extra(id, index, 3, 2)) << 32n) | BigInt(this.extra(id, index, 3, 1));
    }
    return BigInt(this.extra(id, index, 2, 1) | 0);
  }
  /** The value as the enum declares it: signed when kind_flag is set, unsigned otherwise. */
  enumValueSigned(id: number, index: number): bigint {
    const signed = this.kindFlag(id);
    if (this.kind(id) === Kind.ENUM64) {
      const v = (BigInt(this.extra(id, index, 3, 2)) << 32n) | BigInt(this.extra(id, index, 3, 1));
      return signed ? BigInt.asIntN(64, v) : v;
    }
    const raw = this.extra(id, index, 2, 1);
    return BigInt(signed ? raw | 0 : raw);
  }

  // FUNC_PROTO params
  paramNameOff(id: number, index: number): number {
    return this.extra(id, index, 2, 0);
  }
  paramName(id: number, index: number): string {
    return this.strings.at(this.extra(id, index, 2, 0)) ?? "";
  }
  paramType(id: number, index: number): number {
    return this.extra(id, index, 2, 1);
  }

  // VAR / FUNC linkage, DECL_TAG
  /** VAR linkage word, or a FUNC's vlen. */
  linkage(id: number): number {
    return this.kind(id) === Kind.FUNC ? this.vlen(id) : this.fixed(id, 0);
  }
  declTagComponentIdx(id: number): number {
    return this.fixed(id, 0) | 0;
  }

  // DATASEC entries
  datasecVarType(id: number, index: number): number {
    return this.extra(id, index, 3, 0);
  }
  datasecVarOffset(id: number, index: number): number {
    return this.extra(id, index, 3, 1);
  }
  datasecVarSize(id: number, index: number): number {
    return this.extra(id, index, 3, 2);
  }

  /** A string of the string section, undefined if the offset is out of range. */
  stringAt(offset: number): string | undefined {
    return this.strings.at(offset);
  }

  // ---- decoded objects ----

  /** The type as an object (allocates; use the accessors on hot paths). */
  type(id: number): BtfType | VoidType {
    if (id === 0) return VOID;
    if (id < this.firstOwnId) return (this.owner(id) as Btf).type(id);
    this.at(id);
    return decodeType(this, id);
  }

  /** This blob's own types in id order, as [id, type] pairs. */
  *types(): IterableIterator<[number, BtfType]> {
    for (let id = this.firstOwnId; id < this.typeCount; id++) yield [id, decodeType(this, id)];
  }

  // ---- lookups ----

  /** Every id named `name` (base ids first, ascending), optionally only of one kind. */
  findAllByName(name: string, kind?: number): number[] {
    const found = this.base ? this.base.findAllByName(name, kind) : [];
    if (!this.names) this.names = new NameIndex(this);
    for (const id of this.names.lookup(name)) if (kind === undefined || this.kind(id) === kind) found.push(id);
    return found;
  }

  /** First id named `name` (libbpf btf__find_by_name_kind order); "void" is id 0. */
  findByName(name: string, kind?: number): number | undefined {
    if (name === "void" && (kind === undefined || kind === Kind.UNKN)) return 0;
    if (this.base) {
      const inBase = this.base.findByName(name, kind);
      if (inBase !== undefined) return inBase;
    }
    if (!this.names) this.names = new NameIndex(this);
    for (const id of this.names.lookup(name)) if (kind === undefined || this.kind(id) === kind) return id;
    return undefined;
  }

  // ---- graph walks ----

  /** Follows typedefs and const/volatile/restrict/type_tag to the underlying type (libbpf skip_mods_and_typedefs). */
  skipModsAndTypedefs(id: number): number {
    return skipModsAndTypedefs(this, id);
  }

  /** Alias of skipModsAndTypedefs. */
  resolve(id: number): number {
    return skipModsAndTypedefs(this, id);
  }

  /** Byte size of a type, libbpf btf__resolve_size semantics; throws BtfError BAD_SIZE when it has none. */
  resolveSize(id: number): number {
    return resolveSize(this, id);
  }

  /** Alignment in bytes, libbpf btf__align_of semantics (1 for packed structs); throws BtfError BAD_ALIGN. */
  alignOf(id: number): number {
    return alignOf(this, id);
  }

  /** Pointer size: the size of `long` found in the BTF (libbpf determine_ptr_size), 8 if there is none. */
  get pointerSize(): number {
    if (this.pointerSizeCache === 0) this.pointerSizeCache = determinePointerSize(this);
    return this.pointerSizeCache;
  }

  /** Overrides the pointer size (e.g. 4 for 32-bit targets). */
  setPointerSize(size: 4 | 8): void {
    this.pointerSizeCache = size;
  }
}

/** The chain of blobs from the outermost base to `btf`. */
function chainOf(btf: Btf): Btf[] {
  const chain: Btf[] = [];
  for (let b: Btf | undefined = btf; b !== undefined; b = b.base) chain.unshift(b);
  return chain;
}

/**
 * A base Btf's starts (index id - 1) indexed by id (void's entry 0): a view when a zero word precedes them in their
 * buffer (both scan paths leave one), else a copy.
 */
function startsById(own: Uint32Array): Uint32Array {
  if (own.byteOffset >= 4) {
    const view = new Uint32Array(own.buffer, own.byteOffset - 4, own.length + 1);
    if (view[0] === 0) return view;
  }
  const starts = new Uint32Array(own.length + 1);
  starts.set(own, 1);
  return starts;
}

function flattenTypes(btf: Btf): FlatTypes {
  const strings = concatBytes(chainOf(btf).map((b) => b.strings.bytes));
  if (!btf.base) return { words: btf.words, starts: startsById(btf.starts), strings };
  return { ...flattenWords(btf, 0), strings };
}

/**
 * The type words of `btf` and its bases joined in one fresh array, after `voidWords` zero words (a record for
 * void, for consumers that read id 0 like any other), and each id's start in it. For consumers that rewrite the
 * words (dedup); Btf.flat() shares the parsed words instead where it can.
 */
export function flattenWords(btf: Btf, voidWords: number): { words: Uint32Array; starts: Uint32Array } {
  const chain = chainOf(btf);
  const starts = new Uint32Array(btf.typeCount);
  const words = new Uint32Array(voidWords + chain.reduce((n, b) => n + b.words.length, 0));
  let wordBase = voidWords;
  for (const b of chain) {
    words.set(b.words, wordBase);
    const own = b.starts;
    const first = b.firstOwnId;
    for (let i = 0; i < own.length; i++) starts[first + i] = own[i]! + wordBase;
    wordBase += b.words.length;
  }
  return { words, starts };
}

function determinePointerSize(btf: Btf): number {
  for (let id = 1; id < btf.typeCount; id++) {
    if (btf.kind(id) !== Kind.INT) continue;
    if (!LONG_INT_NAMES.has(btf.nameOf(id))) continue;
    const size = btf.sizeOf(id);
    if (size === 4 || size === 8) return size;
  }
  return 8;
}
