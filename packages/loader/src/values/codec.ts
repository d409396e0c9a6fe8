// BTF-driven conversion between the bytes of a map key/value or global variable and plain JavaScript values, the
// way a user reads them in C: integers as numbers (bigint above 32 bits), bools, structs and unions as objects by
// member name (anonymous members flattened into their parent, as C lets you name them), arrays as arrays, char
// arrays as strings. Pure: a Btf and bytes in, values out (and back). Every size is checked against the byte
// range before it is read, so a wrong type id or short buffer is a LoaderError, never a RangeError.

import { type Btf, BtfError, IntEncoding, Kind } from "@bpfkit/btf";
import { LoaderError } from "../errors.js";

/** A decoded value. Integers up to 32 bits are numbers, wider ones bigints; pointers are bigints. */
export type TypedValue =
  | number
  | bigint
  | boolean
  | string
  | readonly TypedValue[]
  | { readonly [k: string]: TypedValue };

/** How a value may be given for encoding: decoded forms, plus enum names and numbers for bigint fields. */
export type TypedInput = TypedValue | undefined;

/** Nesting limit: BTF from the kernel checker has no cycles through values, but a malformed blob might. */
const MAX_DEPTH = 64;

function fail(message: string, typeId: number): never {
  throw new LoaderError("BAD_VALUE", `BTF type [${typeId}]: ${message}`);
}

/** Follows typedefs and const/volatile/restrict/type tags. */
function resolve(btf: Btf, id: number): number {
  for (let i = 0; i < MAX_DEPTH; i++) {
    const kind = btf.kind(id);
    if (
      kind !== Kind.TYPEDEF &&
      kind !== Kind.CONST &&
      kind !== Kind.VOLATILE &&
      kind !== Kind.RESTRICT &&
      kind !== Kind.TYPE_TAG
    ) {
      return id;
    }
    id = btf.typeIdOf(id);
  }
  return fail("modifier chain too long", id);
}

/** Byte size of a type as the codec sees it (libbpf's btf__resolve_size), as a LoaderError when unsizable. */
export function valueSize(btf: Btf, typeId: number): number {
  try {
    return btf.resolveSize(typeId);
  } catch (error) {
    throw new LoaderError("BAD_VALUE", `BTF type [${typeId}] has no size: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function isCharArrayElement(btf: Btf, elem: number): boolean {
  const id = resolve(btf, elem);
  if (btf.kind(id) !== Kind.INT || btf.sizeOf(id) !== 1) return false;
  return (btf.intEncoding(id) & IntEncoding.CHAR) !== 0 || btf.nameOf(id) === "char";
}

function readUnsigned(view: DataView, offset: number, size: number, little: boolean): bigint {
  switch (size) {
    case 1:
      return BigInt(view.getUint8(offset));
    case 2:
      return BigInt(view.getUint16(offset, little));
    case 4:
      return BigInt(view.getUint32(offset, little));
    case 8:
      return view.getBigUint64(offset, little);
    case 16: {
      const a = view.getBigUint64(offset, little);
      const b = view.getBigUint64(offset + 8, little);
      return little ? (b << 64n) | a : (a << 64n) | b;
    }
    default:
      throw new LoaderError("BAD_VALUE", `integer of ${size} bytes is not supported`);
  }
}

function writeUnsigned(view: DataView, offset: number, size: number, value: bigint, little: boolean): void {
  const v = BigInt.asUintN(size * 8, value);
  switch (size) {
    case 1:
      view.setUint8(offset, Number(v));
      return;
    case 2:
      view.setUint16(offset, Number(v), little);
      return;
    case 4:
      view.setUint32(offset, Number(v), little);
      return;
    case 8:
      view.setBigUint64(offset, v, little);
      return;
    case 16: {
      const lo = BigInt.asUintN(64, v);
      const hi = v >> 64n;
      view.setBigUint64(offset, little ? lo : hi, little);
      view.setBigUint64(offset + 8, little ? hi : lo, little);
      return;
    }
    default:
      throw new LoaderError("BAD_VALUE", `integer of ${size} bytes is not supported`);
  }
}

/** Numbers for what fits in 32 bits (and so in a JS number exactly), bigints for wider integers. */
function toJs(value: bigint, size: number, signed: boolean, bits = size * 8): number | bigint {
  const v = signed ? BigInt.asIntN(bits, value) : BigInt.asUintN(bits, value);
  return bits <= 32 ? Number(v) : v;
}

function toBigInt(value: TypedInput, typeId: number): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) fail(`${value} is not an integer`, typeId);
    return BigInt(value);
  }
  if (typeof value === "boolean") return value ? 1n : 0n;
  return fail(`expected an integer, got ${describe(value)}`, typeId);
}

function describe(value: TypedInput): string {
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `string "${value}"`;
  return typeof value;
}

/** Reads `bitSize` bits starting `bitOffset` bits into the byte range, libbpf's little/big-endian bitfield layout. */
function readBits(bytes: Uint8Array, start: number, bitOffset: number, bitSize: number, little: boolean): bigint {
  const firstByte = start + (bitOffset >> 3);
  const lastByte = start + ((bitOffset + bitSize - 1) >> 3);
  let word = 0n;
  if (little) for (let i = lastByte; i >= firstByte; i--) word = (word << 8n) | BigInt(bytes[i]!);
  else for (let i = firstByte; i <= lastByte; i++) word = (word << 8n) | BigInt(bytes[i]!);
  const span = (lastByte - firstByte + 1) * 8;
  const shift = little ? bitOffset & 7 : span - (bitOffset & 7) - bitSize;
  return (word >> BigInt(shift)) & ((1n << BigInt(bitSize)) - 1n);
}

function writeBits(
  bytes: Uint8Array,
  start: number,
  bitOffset: number,
  bitSize: number,
  value: bigint,
  little: boolean,
): void {
  const firstByte = start + (bitOffset >> 3);
  const lastByte = start + ((bitOffset + bitSize - 1) >> 3);
  const span = (lastByte - firstByte + 1) * 8;
  let word = 0n;
  if (little) for (let i = lastByte; i >= firstByte; i--) word = (word << 8n) | BigInt(bytes[i]!);
  else for (let i = firstByte; i <= lastByte; i++) word = (word << 8n) | BigInt(bytes[i]!);
  const shift = BigInt(little ? bitOffset & 7 : span - (bitOffset & 7) - bitSize);
  const mask = ((1n << BigInt(bitSize)) - 1n) << shift;
  word = (word & ~mask) | ((BigInt.asUintN(bitSize, value) << shift) & mask);
  if (little) {
    for (let i = firstByte; i <= lastByte; i++) {
      bytes[i] = Number(word & 0xffn);
      word >>= 8n;
    }
  } else {
    for (let i = lastByte; i >= firstByte; i--) {
      bytes[i] = Number(word & 0xffn);
      word >>= 8n;
    }
  }
}

interface Cursor {
  readonly btf: Btf;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly little: boolean;
}

function checkRange(cur: Cursor, offset: number, size: number, typeId: number): void {
  if (offset < 0 || size < 0 || offset + size > cur.bytes.length) {
    fail(`needs bytes ${offset}..${offset + size}, only ${cur.bytes.length} given`, typeId);
  }
}

function decodeAt(cur: Cursor, typeId: number, offset: number, depth: number): TypedValue {
  if (depth > MAX_DEPTH) fail("type nests too deeply", typeId);
  const { btf } = cur;
  const id = resolve(btf, typeId);
  const kind = btf.kind(id);
  switch (kind) {
    case Kind.INT: {
      const size = btf.sizeOf(id);
      checkRange(cur, offset, size, id);
      const enc = btf.intEncoding(id);
      const bits = btf.intBits(id);
      if (bits === 0 || btf.intOffset(id) + bits > size * 8)
        fail(`int bits ${bits} at ${btf.intOffset(id)} exceed its size`, id);
      const raw =
        btf.intOffset(id) !== 0 || bits !== size * 8
          ? readBits(cur.bytes, offset, btf.intOffset(id), bits, cur.little)
          : readUnsigned(cur.view, offset, size, cur.little);
      if (enc & IntEncoding.BOOL) return raw !== 0n;
      return toJs(raw, size, (enc & IntEncoding.SIGNED) !== 0, bits);
    }
    case Kind.ENUM:
    case Kind.ENUM64: {
      const size = btf.sizeOf(id);
      checkRange(cur, offset, size, id);
      return toJs(readUnsigned(cur.view, offset, size, cur.little), size, btf.kindFlag(id));
    }
    case Kind.PTR: {
      const size = btf.pointerSize;
      checkRange(cur, offset, size, id);
      return readUnsigned(cur.view, offset, size, cur.little);
    }
    case Kind.FLOAT: {
      const size = btf.sizeOf(id);
      checkRange(cur, offset, size, id);
      if (size === 4) return cur.view.getFloat32(offset, cur.little);
      if (size === 8) return cur.view.getFloat64(offset, cur.little);
      return fail(`float of ${size} bytes is not supported`, id);
    }
    case Kind.ARRAY: {
      const elem = btf.arrayElemType(id);
      const count = btf.arrayLength(id);
      const elemSize = valueSize(btf, elem);
      checkRange(cur, offset, elemSize * count, id);
      if (isCharArrayElement(btf, elem)) {
        const slice = cur.bytes.subarray(offset, offset + count);
        const end = slice.indexOf(0);
        return new TextDecoder().decode(end < 0 ? slice : slice.subarray(0, end));
      }
      const out: TypedValue[] = [];
      for (let i = 0; i < count; i++) out.push(decodeAt(cur, elem, offset + i * elemSize, depth + 1));
      return out;
    }
    case Kind.STRUCT:
    case Kind.UNION: {
      checkRange(cur, offset, btf.sizeOf(id), id);
      const out: Record<string, TypedValue> = {};
      decodeMembers(cur, id, offset, depth, out);
      return out;
    }
    case Kind.DATASEC: {
      const out: Record<string, TypedValue> = {};
      for (let i = 0; i < btf.vlen(id); i++) {
        const v = btf.datasecVarType(id, i);
        out[btf.nameOf(v)] = decodeAt(cur, btf.typeIdOf(v), offset + btf.datasecVarOffset(id, i), depth + 1);
      }
      return out;
    }
    case Kind.VAR:
      return decodeAt(cur, btf.typeIdOf(id), offset, depth + 1);
    default:
      return fail(`kind ${kind} has no value representation`, id);
  }
}

function decodeMembers(cur: Cursor, id: number, offset: number, depth: number, out: Record<string, TypedValue>): void {
  const { btf } = cur;
  for (let i = 0; i < btf.vlen(id); i++) {
    const name = btf.memberName(id, i);
    const type = btf.memberType(id, i);
    const bitOffset = btf.memberBitOffset(id, i);
    const bitSize = btf.memberBitfieldSize(id, i);
    if (bitSize > 0) {
      const target = resolve(btf, type);
      const size = valueSize(btf, target);
      checkRange(cur, offset, (bitOffset + bitSize + 7) >> 3 || size, id);
      const raw = readBits(cur.bytes, offset, bitOffset, bitSize, cur.little);
      const signed =
        (btf.kind(target) === Kind.INT && (btf.intEncoding(target) & IntEncoding.SIGNED) !== 0) ||
        (btf.kind(target) !== Kind.INT && btf.kindFlag(target));
      out[name] = toJs(raw, size, signed, bitSize);
      continue;
    }
    const memberOffset = offset + (bitOffset >> 3);
    if (name === "" && (btf.kind(resolve(btf, type)) === Kind.STRUCT || btf.kind(resolve(btf, type)) === Kind.UNION)) {
      decodeMembers(cur, resolve(btf, type), memberOffset, depth + 1, out);
      continue;
    }
    out[name] = decodeAt(cur, type, memberOffset, depth + 1);
  }
}

function encodeAt(cur: Cursor, typeId: number, offset: number, value: TypedInput, depth: number): void {
  if (depth > MAX_DEPTH) fail("type nests too deeply", typeId);
  if (value === undefined) return; // left as zero (or as it was)
  const { btf } = cur;
  const id = resolve(btf, typeId);
  const kind = btf.kind(id);
  switch (kind) {
    case Kind.INT: {
      const size = btf.sizeOf(id);
      checkRange(cur, offset, size, id);
      const bits = btf.intBits(id);
      if (bits === 0 || btf.intOffset(id) + bits > size * 8)
        fail(`int bits ${bits} at ${btf.intOffset(id)} exceed its size`, id);
      const v = toBigInt(value, id);
      const signed = (btf.intEncoding(id) & IntEncoding.SIGNED) !== 0;
      const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
      const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
      if (v < lo || v > hi) fail(`${v} does not fit in ${signed ? "signed" : "unsigned"} ${bits} bits`, id);
      if (btf.intOffset(id) !== 0 || bits !== size * 8)
        writeBits(cur.bytes, offset, btf.intOffset(id), bits, v, cur.little);
      else writeUnsigned(cur.view, offset, size, v, cur.little);
      return;
    }
    case Kind.ENUM:
    case Kind.ENUM64: {
      const size = btf.sizeOf(id);
      checkRange(cur, offset, size, id);
      let v: bigint;
      if (typeof value === "string") {
        let found: bigint | undefined;
        for (let i = 0; i < btf.vlen(id); i++)
          if (btf.enumValueName(id, i) === value) found = btf.enumValueSigned(id, i);
        if (found === undefined) fail(`no enumerator named '${value}' in enum '${btf.nameOf(id)}'`, id);
        v = found;
      } else {
        v = toBigInt(value, id);
      }
      writeUnsigned(cur.view, offset, size, v, cur.little);
      return;
    }
    case Kind.PTR: {
      checkRange(cur, offset, btf.pointerSize, id);
      writeUnsigned(cur.view, offset, btf.pointerSize, toBigInt(value, id), cur.little);
      return;
    }
    case Kind.FLOAT: {
      const size = btf.sizeOf(id);
      checkRange(cur, offset, size, id);
      if (typeof value !== "number") fail(`expected a number, got ${describe(value)}`, id);
      if (size === 4) cur.view.setFloat32(offset, value, cur.little);
      else if (size === 8) cur.view.setFloat64(offset, value, cur.little);
      else fail(`float of ${size} bytes is not supported`, id);
      return;
    }
    case Kind.ARRAY: {
      const elem = btf.arrayElemType(id);
      const count = btf.arrayLength(id);
      const elemSize = valueSize(btf, elem);
      checkRange(cur, offset, elemSize * count, id);
      if (typeof value === "string") {
        if (!isCharArrayElement(btf, elem)) fail("a string needs a char array", id);
        const text = new TextEncoder().encode(value);
        if (text.length > count) fail(`string of ${text.length} bytes does not fit in char[${count}]`, id);
        cur.bytes.fill(0, offset, offset + count);
        cur.bytes.set(text, offset);
        return;
      }
      if (!Array.isArray(value)) fail(`expected an array, got ${describe(value)}`, id);
      if (value.length > count) fail(`${value.length} elements do not fit in [${count}]`, id);
      value.forEach((v: TypedInput, i: number) => {
        encodeAt(cur, elem, offset + i * elemSize, v, depth + 1);
      });
      return;
    }
    case Kind.STRUCT:
    case Kind.UNION: {
      checkRange(cur, offset, btf.sizeOf(id), id);
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        fail(`expected an object for '${btf.nameOf(id) || "(anon)"}', got ${describe(value)}`, id);
      }
      const given = value as Record<string, TypedInput>;
      const known = new Set<string>();
      encodeMembers(cur, id, offset, given, depth, known);
      for (const key of Object.keys(given)) {
        if (!known.has(key)) fail(`'${btf.nameOf(id) || "(anon)"}' has no member '${key}'`, id);
      }
      return;
    }
    case Kind.VAR:
      encodeAt(cur, btf.typeIdOf(id), offset, value, depth + 1);
      return;
    default:
      fail(`kind ${kind} has no value representation`, id);
  }
}

function encodeMembers(
  cur: Cursor,
  id: number,
  offset: number,
  given: Record<string, TypedInput>,
  depth: number,
  known: Set<string>,
): void {
  const { btf } = cur;
  for (let i = 0; i < btf.vlen(id); i++) {
    const name = btf.memberName(id, i);
    const type = btf.memberType(id, i);
    const bitOffset = btf.memberBitOffset(id, i);
    const bitSize = btf.memberBitfieldSize(id, i);
    const target = resolve(btf, type);
    if (name === "" && (btf.kind(target) === Kind.STRUCT || btf.kind(target) === Kind.UNION)) {
      encodeMembers(cur, target, offset + (bitOffset >> 3), given, depth + 1, known);
      continue;
    }
    known.add(name);
    if (!(name in given)) continue;
    if (bitSize > 0) {
      checkRange(cur, offset, (bitOffset + bitSize + 7) >> 3, id);
      const v = toBigInt(given[name], id);
      if (BigInt.asUintN(bitSize, v) !== v && BigInt.asIntN(bitSize, v) !== v) {
        fail(`${v} does not fit in the ${bitSize}-bit field '${name}'`, id);
      }
      writeBits(cur.bytes, offset, bitOffset, bitSize, v, cur.little);
      continue;
    }
    encodeAt(cur, type, offset + (bitOffset >> 3), given[name], depth + 1);
  }
}

function cursor(btf: Btf, bytes: Uint8Array, little: boolean): Cursor {
  return { btf, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), little };
}

/** BtfError (a type id out of range, a malformed record) surfaces as this package's error. */
function typed<T>(typeId: number, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof LoaderError) throw error;
    if (error instanceof BtfError) {
      throw new LoaderError("BAD_VALUE", `BTF type [${typeId}]: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** Decodes `bytes` (at least the type's size) as BTF type `typeId`. */
export function decodeValue(btf: Btf, typeId: number, bytes: Uint8Array, littleEndian = btf.littleEndian): TypedValue {
  return typed(typeId, () => decodeAt(cursor(btf, bytes, littleEndian), typeId, 0, 0));
}

/**
 * Writes `value` as BTF type `typeId` into `out` (at least the type's size). Members or elements not given keep
 * the bytes `out` already has, so a partial object updates a value in place.
 */
export function encodeValueInto(
  btf: Btf,
  typeId: number,
  value: TypedInput,
  out: Uint8Array,
  littleEndian = btf.littleEndian,
): void {
  typed(typeId, () => encodeAt(cursor(btf, out, littleEndian), typeId, 0, value, 0));
}

/** `value` as a fresh zero-filled buffer of the type's size. */
export function encodeValue(btf: Btf, typeId: number, value: TypedInput, littleEndian = btf.littleEndian): Uint8Array {
  const out = new Uint8Array(valueSize(btf, typeId));
  encodeValueInto(btf, typeId, value, out, littleEndian);
  return out;
}
