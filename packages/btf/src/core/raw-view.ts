// A CoreBtf read straight from raw BTF bytes (either byte order, base or split). One validated pass records where
// each type starts; everything else is read on demand, and names are indexed by essential-name hash chains
// (essential-index.ts). The package's Btf class works as well (btf-adapter.ts); this view is the engine's own,
// used by its tests and benchmarks and by callers that hold raw bytes (e.g. /sys/kernel/btf/vmlinux).

import { BTF_HEADER_SIZE, BTF_MAGIC } from "../header.js";
import { Kind } from "../kinds.js";
import type { CoreBtf } from "./btf-view.js";
import type { EssentialNameIndex } from "./candidates.js";
import { CoreFailure, CoreRelocationError } from "./errors.js";
import { EssentialNameChains } from "./essential-index.js";

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bad(message: string, offset?: number): never {
  throw new CoreRelocationError("BAD_BTF", offset === undefined ? message : `${message} (byte ${offset})`);
}

/** u32 words after the 12-byte header of each kind: fixed part (-1 = unknown kind) and per vlen record. */
const FIXED_EXTRA_WORDS = Int8Array.from({ length: 32 }, (_, kind) => {
  if (kind === Kind.INT || kind === Kind.VAR || kind === Kind.DECL_TAG) return 1;
  if (kind === Kind.ARRAY) return 3;
  return kind >= Kind.PTR && kind <= Kind.ENUM64 ? 0 : -1;
});
const PER_VLEN_WORDS = Int8Array.from({ length: 32 }, (_, kind) => {
  if (kind === Kind.STRUCT || kind === Kind.UNION || kind === Kind.DATASEC || kind === Kind.ENUM64) return 3;
  return kind === Kind.ENUM || kind === Kind.FUNC_PROTO ? 2 : 0;
});

/** Bytes following the 12-byte common header of a type (its kind is known to be valid). */
function extraSize(kind: number, vlen: number): number {
  return (FIXED_EXTRA_WORDS[kind]! + PER_VLEN_WORDS[kind]! * vlen) * 4;
}

export class RawCoreBtf implements CoreBtf {
  readonly typeCount: number;
  readonly firstOwnId: number;
  readonly pointerSize = 8;
  readonly littleEndian: boolean;
  /** String offset where this BTF's own strings start (the base's string length for split BTF). */
  readonly firstOwnString: number;
  private readonly view: DataView;
  /** Byte offset (in `view`) of each own type, index = id - firstOwnId. */
  private readonly starts: Uint32Array;
  private readonly kinds: Uint8Array;
  private readonly nameOffs: Uint32Array;
  private readonly stringBase: number;
  private readonly stringLength: number;
  private readonly stringBytes: Uint8Array;
  private readonly nameCache = new Map<number, string>();
  /** Every own type name starts a string of the own string section (and this is not split BTF). */
  readonly namesAtStringStarts: boolean;
  private readonly decoder = new TextDecoder();

  constructor(
    readonly bytes: Uint8Array,
    readonly base?: RawCoreBtf,
  ) {
    if (bytes.length < BTF_HEADER_SIZE) bad(`BTF is ${bytes.length} bytes, shorter than its header`);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.view.getUint16(0, true) === BTF_MAGIC) this.littleEndian = true;
    else if (this.view.getUint16(0, false) === BTF_MAGIC) this.littleEndian = false;
    else bad("bad BTF magic", 0);
    const le = this.littleEndian;
    if (this.view.getUint8(2) !== 1) bad(`unsupported BTF version ${this.view.getUint8(2)}`, 2);
    const headerLength = this.view.getUint32(4, le);
    const typeOff = this.view.getUint32(8, le);
    const typeLen = this.view.getUint32(12, le);
    const strOff = this.view.getUint32(16, le);
    const strLen = this.view.getUint32(20, le);
    if (headerLength < BTF_HEADER_SIZE || headerLength > bytes.length) bad(`bad BTF header length ${headerLength}`, 4);
    const data = bytes.length - headerLength;
    if (typeOff > data || typeLen > data - typeOff) bad("type section out of bounds", 8);
    if (strOff > data || strLen > data - strOff) bad("string section out of bounds", 16);
    if (typeLen % 4 !== 0) bad("type section length not a multiple of 4", 12);
    this.stringBase = headerLength + strOff;
    this.stringLength = strLen;
    this.stringBytes = bytes.subarray(this.stringBase, this.stringBase + strLen);
    if (!base && (strLen === 0 || this.stringBytes[0] !== 0)) bad("string section must start with an empty string");
    if (strLen > 0 && this.stringBytes[strLen - 1] !== 0) bad("string section must end with NUL");
    this.firstOwnId = base ? base.typeCount : 1;
    this.firstOwnString = base ? base.firstOwnString + base.stringLength : 0;

    // One pass: count and locate types. Capacity bound: each type takes at least 12 bytes.
    const capacity = Math.floor(typeLen / 12);
    const starts = new Uint32Array(capacity);
    const kinds = new Uint8Array(capacity);
    const nameOffs = new Uint32Array(capacity);
    const typeStart = headerLength + typeOff;
    // Walk host-order words: a view of the input when it is same-order and aligned (vmlinux), else a copy.
    let words: Uint32Array;
    if (le === HOST_LITTLE_ENDIAN && (bytes.byteOffset + typeStart) % 4 === 0) {
      words = new Uint32Array(bytes.buffer, bytes.byteOffset + typeStart, typeLen / 4);
    } else {
      words = new Uint32Array(typeLen / 4);
      for (let i = 0; i < words.length; i++) words[i] = this.view.getUint32(typeStart + i * 4, le);
    }
    const strings = this.stringBytes;
    const ownStringStart = this.firstOwnString;
    const totalWords = words.length;
    let namesAtStarts = true;
    let word = 0;
    let n = 0;
    while (word < totalWords) {
      if (totalWords - word < 3) bad("truncated type", typeStart + word * 4);
      const nameOff = words[word]!;
      const info = words[word + 1]!;
      const kind = (info >>> 24) & 0x1f;
      const fixed = FIXED_EXTRA_WORDS[kind]!;
      if (fixed < 0) bad(`unknown BTF kind ${kind} of type [${this.firstOwnId + n}]`, typeStart + word * 4);
      const extra = fixed + PER_VLEN_WORDS[kind]! * (info & 0xffff);
      if (totalWords - word - 3 < extra)
        bad(`type [${this.firstOwnId + n}] runs past the type section`, typeStart + word * 4);
      starts[n] = typeStart + word * 4;
      kinds[n] = kind;
      nameOffs[n] = nameOff;
      // Suffix-shared names (an offset into the middle of a string) are legal BTF; remember if there are any.
      if (nameOff !== 0 && (nameOff <= ownStringStart || strings[nameOff - ownStringStart - 1] !== 0)) {
        namesAtStarts = false;
      }
      n++;
      word += 3 + extra;
    }
    this.starts = starts.subarray(0, n);
    this.kinds = kinds.subarray(0, n);
    this.nameOffs = nameOffs.subarray(0, n);
    this.typeCount = this.firstOwnId + n;
    this.namesAtStringStarts = namesAtStarts && !base;
  }

  /** The base BTF for a base id; void and negative ids have no record to read. */
  private baseFor(id: number): RawCoreBtf {
    if (!this.base || id <= 0) throw new CoreFailure("BAD_BTF", `type id ${id} has no type record`);
    return this.base;
  }
  private own(id: number): number {
    return id - this.firstOwnId;
  }
  /** Start of an own type's record; a failed lookup means a reference out of range in malformed BTF. */
  private start(id: number): number {
    const start = this.starts[this.own(id)];
    if (start === undefined) throw new CoreFailure("BAD_BTF", `type id ${id} out of range`);
    return start;
  }
  private u32(id: number, byte: number): number {
    return this.view.getUint32(this.start(id) + byte, this.littleEndian);
  }

  kind(id: number): number {
    if (id < this.firstOwnId) return id === 0 ? Kind.UNKN : this.baseFor(id).kind(id);
    const k = this.kinds[this.own(id)];
    if (k === undefined) throw new CoreFailure("BAD_BTF", `type id ${id} out of range`);
    return k;
  }
  nameOffset(id: number): number {
    if (id < this.firstOwnId) return id === 0 ? 0 : this.baseFor(id).nameOffset(id);
    const offset = this.nameOffs[this.own(id)];
    if (offset === undefined) throw new CoreFailure("BAD_BTF", `type id ${id} out of range`);
    return offset;
  }
  nameOf(id: number): string {
    return this.stringAt(this.nameOffset(id)) ?? "";
  }
  private info(id: number): number {
    return this.u32(id, 4);
  }
  kindFlag(id: number): boolean {
    if (id < this.firstOwnId) return id === 0 ? false : this.baseFor(id).kindFlag(id);
    return (this.info(id) & 0x80000000) !== 0;
  }
  vlen(id: number): number {
    if (id < this.firstOwnId) return id === 0 ? 0 : this.baseFor(id).vlen(id);
    return this.info(id) & 0xffff;
  }
  sizeField(id: number): number {
    if (id < this.firstOwnId) return id === 0 ? 0 : this.baseFor(id).sizeField(id);
    return this.u32(id, 8);
  }
  refType(id: number): number {
    return this.sizeField(id);
  }
  /** Byte offset of the i-th vlen record of an own type. */
  private record(id: number, index: number, size: number): number {
    if (index < 0 || index >= (this.info(id) & 0xffff)) {
      throw new CoreFailure("BAD_BTF", `index ${index} out of range for type [${id}]`);
    }
    return this.start(id) + 12 + index * size;
  }
  memberName(id: number, index: number): string {
    if (id < this.firstOwnId) return this.baseFor(id).memberName(id, index);
    return this.stringAt(this.view.getUint32(this.record(id, index, 12), this.littleEndian)) ?? "";
  }
  memberType(id: number, index: number): number {
    if (id < this.firstOwnId) return this.baseFor(id).memberType(id, index);
    return this.view.getUint32(this.record(id, index, 12) + 4, this.littleEndian);
  }
  private memberOffsetField(id: number, index: number): number {
    return this.view.getUint32(this.record(id, index, 12) + 8, this.littleEndian);
  }
  memberBitOffset(id: number, index: number): number {
    if (id < this.firstOwnId) return this.baseFor(id).memberBitOffset(id, index);
    const raw = this.memberOffsetField(id, index);
    return this.kindFlag(id) ? raw & 0xffffff : raw;
  }
  memberBitfieldSize(id: number, index: number): number {
    if (id < this.firstOwnId) return this.baseFor(id).memberBitfieldSize(id, index);
    return this.kindFlag(id) ? this.memberOffsetField(id, index) >>> 24 : 0;
  }
  arrayElemType(id: number): number {
    if (id < this.firstOwnId) return this.baseFor(id).arrayElemType(id);
    return this.u32(id, 12);
  }
  arrayIndexType(id: number): number {
    if (id < this.firstOwnId) return this.baseFor(id).arrayIndexType(id);
    return this.u32(id, 16);
  }
  arrayLength(id: number): number {
    if (id < this.firstOwnId) return this.baseFor(id).arrayLength(id);
    return this.u32(id, 20);
  }
  private intData(id: number): number {
    return this.u32(id, 12);
  }
  intEncoding(id: number): number {
    if (id < this.firstOwnId) return this.baseFor(id).intEncoding(id);
    return (this.intData(id) >>> 24) & 0x0f;
  }
  intOffset(id: number): number {
    if (id < this.firstOwnId) return this.baseFor(id).intOffset(id);
    return (this.intData(id) >>> 16) & 0xff;
  }
  intBits(id: number): number {
    if (id < this.firstOwnId) return this.baseFor(id).intBits(id);
    return this.intData(id) & 0xff;
  }
  enumValueName(id: number, index: number): string {
    if (id < this.firstOwnId) return this.baseFor(id).enumValueName(id, index);
    const size = this.kind(id) === Kind.ENUM64 ? 12 : 8;
    return this.stringAt(this.view.getUint32(this.record(id, index, size), this.littleEndian)) ?? "";
  }
  enumValue(id: number, index: number): bigint {
    if (id < this.firstOwnId) return this.baseFor(id).enumValue(id, index);
    if (this.kind(id) === Kind.ENUM64) {
      const at = this.record(id, index, 12);
      const lo = this.view.getUint32(at + 4, this.littleEndian);
      const hi = this.view.getUint32(at + 8, this.littleEndian);
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    return BigInt(this.view.getInt32(this.record(id, index, 8) + 4, this.littleEndian));
  }
  paramType(id: number, index: number): number {
    if (id < this.firstOwnId) return this.baseFor(id).paramType(id, index);
    return this.view.getUint32(this.record(id, index, 8) + 4, this.littleEndian);
  }
  paramName(id: number, index: number): string {
    if (id < this.firstOwnId) return this.baseFor(id).paramName(id, index);
    return this.stringAt(this.view.getUint32(this.record(id, index, 8), this.littleEndian)) ?? "";
  }
  /** Raw 32-bit words of a type record after its name (info, size/type, kind data): for BTF writers. */
  typeBytes(id: number): Uint8Array {
    if (id < this.firstOwnId) return this.baseFor(id).typeBytes(id);
    const start = this.start(id);
    const next =
      this.own(id) + 1 < this.starts.length
        ? this.starts[this.own(id) + 1]!
        : start + 12 + extraSize(this.kind(id), this.vlen(id));
    return this.bytes.subarray(start, next);
  }

  stringAt(offset: number): string | undefined {
    if (!Number.isInteger(offset) || offset < 0) return undefined;
    if (offset < this.firstOwnString) return this.base?.stringAt(offset);
    const local = offset - this.firstOwnString;
    if (local >= this.stringLength) return undefined;
    const cached = this.nameCache.get(offset);
    if (cached !== undefined) return cached;
    const end = this.stringBytes.indexOf(0, local);
    const text = this.decoder.decode(this.stringBytes.subarray(local, end < 0 ? this.stringLength : end));
    this.nameCache.set(offset, text);
    return text;
  }

  /** Bytes of the NUL-terminated string at a global offset in a base BTF (undefined when out of range). */
  private baseString(offset: number): { bytes: Uint8Array; start: number } | undefined {
    if (offset >= this.firstOwnString) {
      const local = offset - this.firstOwnString;
      return local < this.stringLength ? { bytes: this.stringBytes, start: local } : undefined;
    }
    return this.base?.baseString(offset);
  }

  private chains: EssentialNameChains | undefined;

  /**
   * Builds the essential-name hash chains now. Worth it for a view that is kept and reused (a loader caching the
   * kernel's BTF); a view used once answers its first lookups by native search without this.
   */
  buildNameIndex(): this {
    this.nameChains().prepare();
    return this;
  }

  /** Own-type ids whose name has essential name `name`, ascending (see EssentialNameChains). */
  idsWithEssentialName(name: string, kind: number): number[] {
    return this.nameChains().idsWithEssentialName(name, kind);
  }

  /** Hint that these essential names are about to be looked up (one string-section pass for all). */
  prefetchNames(names: readonly string[]): void {
    this.nameChains().prefetch(names);
  }

  private nameChains(): EssentialNameChains {
    this.chains ??= new EssentialNameChains({
      nameOffs: this.nameOffs,
      kinds: this.kinds,
      firstOwnId: this.firstOwnId,
      ownStrings: this.stringBytes,
      firstOwnString: this.firstOwnString,
      baseString: (offset) => this.base?.baseString(offset),
      stringAt: (offset) => this.stringAt(offset),
      namesAtStringStarts: this.namesAtStringStarts,
    });
    return this.chains;
  }
}

/** The raw view's native-search name index. */
export function rawNameIndex(btf: RawCoreBtf): EssentialNameIndex {
  return {
    idsWithEssentialName: (name, kind) => btf.idsWithEssentialName(name, kind),
    prefetch: (names) => btf.prefetchNames(names),
  };
}
