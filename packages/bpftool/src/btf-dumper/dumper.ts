// bpftool's btf_dumper: a value's bytes written through the JSON writer as its BTF type describes them. Map dump
// and lookup print it under "formatted" (-j) or as the whole entry (plain text with BTF), and prog show prints
// `metadata` with it. bpftool 7.1.0's quirks are kept, since scripts see them: bitfields and 128-bit integers are
// hex strings, floats (and other kinds it does not know) print `(unsupported-kind` and stop the value, a char
// that needs escaping is printed raw, an enum value without a name is a signed number.
//
// A dump formats the same few types thousands of times (a 10,000-entry map), so each type is turned once into a
// closure that knows its layout (member offsets and names, enum names, array shapes); the closures are cached
// per Btf.
import { type Btf, Kind } from "@bpfkit/btf";
import type { JsonWriter } from "../json-writer.js";

const EINVAL = 22;
const INT_SIGNED = 1;
const INT_CHAR = 2;
const INT_BOOL = 4;
/** libbpf's MAX_RESOLVE_DEPTH. */
const MAX_RESOLVE_DEPTH = 32;
/** Nesting beyond which a (malformed, cyclic) type stops being formatted. */
const MAX_DEPTH = 256;

export interface BtfDumpOptions {
  /**
   * bpftool's is_plain_text: the form plain-text `map dump`/`lookup` print (128-bit values and bitfields as bare
   * 0x... instead of strings, unprintable chars as 0x.., pointers as %p).
   */
  readonly plainText?: boolean;
  /**
   * bpftool's prog_id_as_func_ptr (struct_ops dump): a pointer to a function prototype whose value fits 32 bits
   * (the kernel puts program ids there) is written as the string this returns (given the prototype's id and the
   * value); undefined falls back to the number.
   */
  readonly funcPointer?: (protoId: number, value: bigint) => string | undefined;
}

interface Dumper {
  readonly jw: JsonWriter;
  readonly plain: boolean;
  readonly data: Uint8Array;
  readonly funcPointer?: BtfDumpOptions["funcPointer"];
}

/** Formats the value at byte `at` (`bitOffset` 0..7 bits further, for ints); returns 0 or -errno. */
type Format = (d: Dumper, at: number, bitOffset: number, depth: number) => number;

const byte = (d: Dumper, at: number): number => d.data[at] ?? 0;

/** Writes `text` as a value; 0 (formatted). */
function emit(d: Dumper, text: string): number {
  d.jw.raw(text);
  return 0;
}

/** Unsigned little-endian integer of `size` bytes at `at` (bytes past the end read as zero). */
function readUnsigned(d: Dumper, at: number, size: number): bigint {
  if (size === 8 && at >= 0 && at + 8 <= d.data.length) {
    const lo = (d.data[at]! | (d.data[at + 1]! << 8) | (d.data[at + 2]! << 16) | (d.data[at + 3]! << 24)) >>> 0;
    const hi = (d.data[at + 4]! | (d.data[at + 5]! << 8) | (d.data[at + 6]! << 16) | (d.data[at + 7]! << 24)) >>> 0;
    return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
  }
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(byte(d, at + i));
  return v;
}

function readU32(d: Dumper, at: number): number {
  return (byte(d, at) | (byte(d, at + 1) << 8) | (byte(d, at + 2) << 16) | (byte(d, at + 3) << 24)) >>> 0;
}

// 64-bit counters are most of what a map dump prints: in a double while the value is exact (below 2^53 in
// magnitude), the same digits as the bigint path without a bigint per value.
const TWO_32 = 4294967296;
const EXACT_HIGH_WORDS = 0x200000;

function u64Text(d: Dumper, at: number): string {
  const hi = readU32(d, at + 4);
  return hi < EXACT_HIGH_WORDS ? String(hi * TWO_32 + readU32(d, at)) : readUnsigned(d, at, 8).toString();
}

function s64Text(d: Dumper, at: number): string {
  const hi = readU32(d, at + 4);
  if (hi < EXACT_HIGH_WORDS) return String(hi * TWO_32 + readU32(d, at));
  if (hi >= TWO_32 - EXACT_HIGH_WORDS) return String((hi - TWO_32) * TWO_32 + readU32(d, at));
  return BigInt.asIntN(64, readUnsigned(d, at, 8)).toString();
}

/** bpftool's btf_int128_print. */
function printInt128(d: Dumper, value: bigint): void {
  const upper = value >> 64n;
  const lower = value & 0xffffffffffffffffn;
  const text =
    upper === 0n ? `0x${lower.toString(16)}` : `0x${upper.toString(16)}${lower.toString(16).padStart(16, "0")}`;
  d.jw.raw(d.plain ? text : `"${text}"`);
}

/** bpftool's btf_dumper_bitfield: `bits` bits starting `bitOffset` (0..7) bits into the bytes at `at`, as hex. */
function printBitfield(d: Dumper, bits: number, bitOffset: number, at: number): void {
  const bytes = Math.min(16, Math.ceil((bitOffset + bits) / 8));
  if (bytes <= 4) {
    const word = readU32(d, at) & (bytes === 4 ? 0xffffffff : (1 << (bytes * 8)) - 1);
    const value = bits >= 32 ? word >>> bitOffset : (word >>> bitOffset) & ((2 ** bits - 1) >>> 0);
    const text = `0x${(value >>> 0).toString(16)}`;
    d.jw.raw(d.plain ? text : `"${text}"`);
    return;
  }
  const raw = readUnsigned(d, at, bytes);
  printInt128(d, (raw >> BigInt(bitOffset)) & ((1n << BigInt(bits)) - 1n));
}

const isPrint = (c: number) => c >= 0x20 && c < 0x7f;

function compileInt(btf: Btf, id: number): Format {
  const bits = btf.intBits(id);
  const intOffset = btf.intOffset(id);
  const encoding = btf.intEncoding(id);
  const intBits = (d: Dumper, at: number, bitOffset: number) => {
    const total = bitOffset + intOffset;
    printBitfield(d, bits, total & 7, at + (total >> 3));
    return 0;
  };
  const alwaysBits = intOffset !== 0 || (bits & 7) !== 0;
  // The plain case of each encoding and width, else the bitfield path (bpftool's btf_dumper_int).
  let plain: Format;
  if (bits === 128) {
    plain = (d, at) => {
      printInt128(d, readUnsigned(d, at, 16));
      return 0;
    };
  } else if (encoding === 0 || encoding === INT_SIGNED) {
    const signed = encoding === INT_SIGNED;
    if (bits === 64) plain = signed ? (d, at) => emit(d, s64Text(d, at)) : (d, at) => emit(d, u64Text(d, at));
    else if (bits === 32)
      plain = signed ? (d, at) => emit(d, String(readU32(d, at) | 0)) : (d, at) => emit(d, String(readU32(d, at)));
    else if (bits === 16)
      plain = (d, at) => {
        const v = byte(d, at) | (byte(d, at + 1) << 8);
        d.jw.raw(String(signed ? (v << 16) >> 16 : v));
        return 0;
      };
    else if (bits === 8)
      plain = (d, at) => {
        const v = byte(d, at);
        d.jw.raw(String(signed ? (v << 24) >> 24 : v));
        return 0;
      };
    else plain = intBits;
  } else if (encoding === INT_CHAR) {
    plain = (d, at) => {
      const c = byte(d, at);
      if (isPrint(c)) d.jw.raw(`"${String.fromCharCode(c)}"`);
      else if (d.plain) d.jw.raw(`0x${c.toString(16)}`);
      else d.jw.raw(`"\\u00${c.toString(16).padStart(2, "0")}"`);
      return 0;
    };
  } else if (encoding === INT_BOOL) {
    plain = (d, at) => emit(d, byte(d, at) !== 0 ? "true" : "false");
  } else {
    plain = () => -EINVAL;
  }
  if (alwaysBits) return intBits;
  return (d, at, bitOffset, depth) => (bitOffset !== 0 ? intBits(d, at, bitOffset) : plain(d, at, 0, depth));
}

/** libbpf's btf__resolve_type: through typedefs and modifiers; void or too deep is -EINVAL. */
function resolveType(btf: Btf, id: number): number {
  let depth = 0;
  let kind = btf.kind(id);
  while (
    depth < MAX_RESOLVE_DEPTH &&
    id !== 0 &&
    (kind === Kind.TYPEDEF ||
      kind === Kind.VOLATILE ||
      kind === Kind.CONST ||
      kind === Kind.RESTRICT ||
      kind === Kind.TYPE_TAG)
  ) {
    id = btf.typeIdOf(id);
    kind = btf.kind(id);
    depth++;
  }
  return depth === MAX_RESOLVE_DEPTH || id === 0 ? -EINVAL : id;
}

function compileEnum(btf: Btf, id: number): Format {
  const size = btf.sizeOf(id);
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return () => -EINVAL;
  // `struct btf_enum` holds a __s32: compared sign-extended, whatever the enum's signedness; first match wins.
  const names = new Map<bigint, string>();
  for (let i = btf.vlen(id) - 1; i >= 0; i--) names.set(btf.enumValue(id, i), btf.enumValueName(id, i));
  return (d, at) => {
    const value = BigInt.asIntN(size * 8, readUnsigned(d, at, size));
    const name = names.get(value);
    if (name !== undefined) d.jw.string(name);
    else d.jw.raw(value.toString());
    return 0;
  };
}

function compileEnum64(btf: Btf, id: number): Format {
  const names = new Map<bigint, string>();
  for (let i = btf.vlen(id) - 1; i >= 0; i--) names.set(btf.enumValue(id, i), btf.enumValueName(id, i));
  return (d, at) => {
    const value = readUnsigned(d, at, 8);
    const name = names.get(value);
    if (name !== undefined) d.jw.string(name);
    else d.jw.raw(BigInt.asIntN(64, value).toString());
    return 0;
  };
}

/** Whether an array's elements are chars (bpftool's is_str_array, before it looks at the bytes). */
function isCharArray(btf: Btf, id: number): boolean {
  if (btf.arrayLength(id) === 0) return false;
  let elem = btf.arrayElemType(id);
  // Modifiers are skipped, typedefs are not: a typedef of char is not a string.
  for (;;) {
    const kind = btf.kind(elem);
    if (
      elem === 0 ||
      (kind !== Kind.VOLATILE && kind !== Kind.CONST && kind !== Kind.RESTRICT && kind !== Kind.TYPE_TAG)
    )
      break;
    elem = btf.typeIdOf(elem);
  }
  if (btf.kind(elem) !== Kind.INT || btf.sizeOf(elem) !== 1) return false;
  return btf.intEncoding(elem) === INT_CHAR || btf.nameOf(elem) === "char";
}

/** bpftool's is_str_array on the bytes: printable characters up to a NUL within the array. */
function stringAt(d: Dumper, at: number, count: number): string | undefined {
  for (let i = 0; i < count; i++) {
    const c = byte(d, at + i);
    if (c === 0) return String.fromCharCode(...d.data.subarray(at, at + i));
    if (c <= 0x1f || c >= 0x7f) return undefined;
  }
  return undefined;
}

function compileArray(cache: FormatCache, btf: Btf, id: number): Format {
  const count = btf.arrayLength(id);
  const chars = isCharArray(btf, id);
  const elem = btf.arrayElemType(id);
  let elemSize: number | undefined;
  try {
    elemSize = btf.resolveSize(elem);
  } catch {}
  return (d, at, _bitOffset, depth) => {
    if (chars) {
      const text = stringAt(d, at, count);
      if (text !== undefined) {
        d.jw.string(text);
        return 0;
      }
    }
    if (elemSize === undefined) return -EINVAL;
    const format = cache.get(elem);
    let ret = 0;
    d.jw.startArray();
    for (let i = 0; i < count; i++) {
      ret = format(d, at + i * elemSize, 0, depth + 1);
      if (ret) break;
    }
    d.jw.endArray();
    return ret;
  };
}

function compileStruct(cache: FormatCache, btf: Btf, id: number): Format {
  const kindFlag = btf.kindFlag(id);
  const members = Array.from({ length: btf.vlen(id) }, (_, i) => {
    const bitOffset = btf.memberBitOffset(id, i);
    return {
      name: btf.memberName(id, i),
      byteOffset: bitOffset >> 3,
      bitIn: bitOffset & 7,
      bitfieldSize: kindFlag ? btf.memberBitfieldSize(id, i) : 0,
      type: btf.memberType(id, i),
    };
  });
  return (d, at, _bitOffset, depth) => {
    let ret = 0;
    d.jw.startObject();
    for (const m of members) {
      d.jw.name(m.name);
      if (m.bitfieldSize) {
        printBitfield(d, m.bitfieldSize, m.bitIn, at + m.byteOffset);
      } else {
        ret = cache.get(m.type)(d, at + m.byteOffset, m.bitIn, depth + 1);
        if (ret) break;
      }
    }
    d.jw.endObject();
    return ret;
  };
}

function compileVar(cache: FormatCache, btf: Btf, id: number): Format {
  const name = btf.nameOf(id);
  const type = btf.typeIdOf(id);
  return (d, at, bitOffset, depth) => {
    d.jw.startObject();
    d.jw.name(name);
    const ret = cache.get(type)(d, at, bitOffset, depth + 1);
    d.jw.endObject();
    return ret;
  };
}

function compileDatasec(cache: FormatCache, btf: Btf, id: number): Format {
  const name = btf.nameOf(id);
  const vars = Array.from({ length: btf.vlen(id) }, (_, i) => ({
    type: btf.datasecVarType(id, i),
    offset: btf.datasecVarOffset(id, i),
  }));
  return (d, at, _bitOffset, depth) => {
    let ret = 0;
    d.jw.startObject();
    d.jw.name(name);
    d.jw.startArray();
    for (const v of vars) {
      ret = cache.get(v.type)(d, at + v.offset, 0, depth + 1);
      if (ret) break;
    }
    d.jw.endArray();
    d.jw.endObject();
    return ret;
  };
}

function compile(cache: FormatCache, btf: Btf, id: number): Format {
  switch (btf.kind(id)) {
    case Kind.INT:
      return compileInt(btf, id);
    case Kind.STRUCT:
    case Kind.UNION:
      return compileStruct(cache, btf, id);
    case Kind.ARRAY:
      return compileArray(cache, btf, id);
    case Kind.ENUM:
      return compileEnum(btf, id);
    case Kind.ENUM64:
      return compileEnum64(btf, id);
    case Kind.PTR:
      return (d, at) => {
        const value = readUnsigned(d, at, 8);
        if (d.funcPointer && value <= 0xffffffffn) {
          const target = resolveType(btf, btf.refType(id));
          const text = target > 0 && btf.kind(target) === Kind.FUNC_PROTO ? d.funcPointer(target, value) : undefined;
          if (text !== undefined) {
            d.jw.string(text);
            return 0;
          }
        }
        if (!d.plain) d.jw.raw(value.toString());
        else d.jw.raw(value === 0n ? "(nil)" : `0x${value.toString(16)}`);
        return 0;
      };
    case Kind.UNKN:
      return (d) => emit(d, "(unknown)");
    case Kind.FWD:
      return (d) => emit(d, "(fwd-kind-invalid)") - EINVAL;
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT: {
      const actual = resolveType(btf, id);
      if (actual < 0) return () => actual;
      return (d, at, bitOffset, depth) => cache.get(actual)(d, at, bitOffset, depth + 1);
    }
    case Kind.VAR:
      return compileVar(cache, btf, id);
    case Kind.DATASEC:
      return compileDatasec(cache, btf, id);
    default:
      return (d) => emit(d, "(unsupported-kind") - EINVAL;
  }
}

/** The formatters of one Btf's types, built on first use. */
class FormatCache {
  readonly #btf: Btf;
  readonly #formats = new Map<number, Format>();

  constructor(btf: Btf) {
    this.#btf = btf;
  }

  get(id: number): Format {
    let format = this.#formats.get(id);
    if (format === undefined) {
      // Children are looked up when first formatted, so building never recurses (a cyclic blob cannot loop here).
      format = compile(this, this.#btf, id);
      const inner = format;
      format = (d, at, bitOffset, depth) => (depth > MAX_DEPTH ? -EINVAL : inner(d, at, bitOffset, depth));
      this.#formats.set(id, format);
    }
    return format;
  }
}

const caches = new WeakMap<Btf, FormatCache>();

/**
 * Writes `data` formatted as BTF type `typeId` (bpftool's btf_dumper_type) through `json` and returns bpftool's
 * result: 0, or a negative errno when the type cannot be formatted (what was written up to there stays, as in
 * bpftool). Bytes past the end of `data` read as zero; a type id that is not in `btf` is -EINVAL.
 */
export function formatBtfValue(
  json: JsonWriter,
  btf: Btf,
  typeId: number,
  data: Uint8Array,
  options: BtfDumpOptions = {},
): number {
  let cache = caches.get(btf);
  if (cache === undefined) {
    cache = new FormatCache(btf);
    caches.set(btf, cache);
  }
  const d: Dumper = { jw: json, plain: options.plainText ?? false, data, funcPointer: options.funcPointer };
  const depth = json.depth;
  try {
    return cache.get(typeId)(d, 0, 0, 0);
  } catch {
    // A malformed BTF (an id out of range): bpftool would read garbage; we stop the value here, closed.
    while (json.depth > depth) json.endArrayOrObject();
    return -EINVAL;
  }
}
