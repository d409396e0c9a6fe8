// Setting initial values of global variables before load (what libbpf skeletons do through the mmaped
// .data/.rodata/.bss): the value is encoded from the variable's BTF type — integers (any size, signedness
// checked), bool, enums (by number or enumerator name), char arrays (strings), floats, pointers as integers —
// or copied as raw bytes of exactly the variable's size for anything else. Returns a new spec; the old one is
// unchanged.

import { Btf, IntEncoding, Kind } from "@bpfkit/btf";
import { LoaderError } from "../errors.js";
import type { ObjectSpec, VariableSpec } from "./spec.js";

export type VariableValue = bigint | number | boolean | string | Uint8Array;

function fail(variable: VariableSpec, message: string): never {
  throw new LoaderError("BAD_VALUE", `variable '${variable.name}': ${message}`, {
    symbol: variable.name,
    map: variable.map,
  });
}

function toBigInt(variable: VariableSpec, value: VariableValue): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "boolean") return value ? 1n : 0n;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) fail(variable, `${value} is not an integer`);
    return BigInt(value);
  }
  return fail(variable, `a ${typeof value} cannot initialize an integer`);
}

function encodeInteger(variable: VariableSpec, value: bigint, size: number, signed: boolean): bigint {
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (value < min || value > max)
    fail(variable, `${value} does not fit a ${signed ? "signed" : "unsigned"} ${size}-byte integer`);
  return BigInt.asUintN(size * 8, value);
}

function writeUint(out: Uint8Array, value: bigint, little: boolean): void {
  for (let i = 0; i < out.length; i++) {
    const byte = Number((value >> BigInt(8 * i)) & 0xffn);
    out[little ? i : out.length - 1 - i] = byte;
  }
}

/** The bytes `value` stands for in a variable of BTF type `typeId`. */
export function encodeVariable(variable: VariableSpec, btf: Btf, value: VariableValue, little: boolean): Uint8Array {
  const out = new Uint8Array(variable.size);
  if (value instanceof Uint8Array) {
    if (value.length !== variable.size) fail(variable, `needs ${variable.size} bytes, got ${value.length}`);
    out.set(value);
    return out;
  }
  const t = btf.skipModsAndTypedefs(variable.typeId);
  const kind = btf.kind(t);
  switch (kind) {
    case Kind.INT: {
      if (btf.intBits(t) !== btf.sizeField(t) * 8 || btf.intOffset(t) !== 0)
        fail(variable, "bit-sized integers are not supported");
      const signed = (btf.intEncoding(t) & IntEncoding.SIGNED) !== 0;
      writeUint(out, encodeInteger(variable, toBigInt(variable, value), btf.sizeField(t), signed), little);
      return out;
    }
    case Kind.PTR:
      writeUint(out, encodeInteger(variable, toBigInt(variable, value), 8, false), little);
      return out;
    case Kind.ENUM:
    case Kind.ENUM64: {
      let number: bigint;
      if (typeof value === "string") {
        let found: bigint | undefined;
        for (let i = 0; i < btf.vlen(t); i++) if (btf.enumValueName(t, i) === value) found = btf.enumValue(t, i);
        if (found === undefined) fail(variable, `'${value}' is not an enumerator of ${btf.nameOf(t) || "its enum"}`);
        number = found;
      } else {
        number = toBigInt(variable, value);
      }
      writeUint(out, BigInt.asUintN(btf.sizeField(t) * 8, number), little);
      return out;
    }
    case Kind.FLOAT: {
      if (typeof value !== "number") fail(variable, "a float needs a number");
      const view = new DataView(out.buffer);
      if (btf.sizeField(t) === 4) view.setFloat32(0, value, little);
      else if (btf.sizeField(t) === 8) view.setFloat64(0, value, little);
      else fail(variable, `${btf.sizeField(t)}-byte floats are not supported`);
      return out;
    }
    case Kind.ARRAY: {
      const elem = btf.skipModsAndTypedefs(btf.arrayElemType(t));
      if (typeof value === "string" && btf.kind(elem) === Kind.INT && btf.sizeField(elem) === 1) {
        const bytes = new TextEncoder().encode(value);
        if (bytes.length >= variable.size)
          fail(variable, `string of ${bytes.length} bytes does not fit ${variable.size} with its NUL`);
        out.set(bytes);
        return out;
      }
      return fail(variable, "arrays other than char arrays take raw bytes (Uint8Array)");
    }
    default:
      return fail(variable, "this type takes raw bytes (Uint8Array)");
  }
}

/**
 * A copy of `spec` where the data map holding `name` starts with `value` there. For .rodata this is how
 * `const volatile` configuration is set before load.
 */
export function setVariable(spec: ObjectSpec, name: string, value: VariableValue): ObjectSpec {
  const matches = spec.variables.filter((v) => v.name === name);
  if (matches.length === 0) throw new LoaderError("NOT_FOUND", `variable '${name}' not found`, { symbol: name });
  if (matches.length > 1) {
    throw new LoaderError(
      "NOT_FOUND",
      `variable '${name}' is ambiguous (in ${matches.map((v) => v.section).join(", ")})`,
      {
        symbol: name,
      },
    );
  }
  const variable = matches[0]!;
  if (!spec.btf) throw new LoaderError("BAD_BTF", "object has no BTF to type variables with");
  const bytes = encodeVariable(variable, Btf.parse(spec.btf), value, spec.endianness === "little");
  const maps = spec.maps.map((m) => {
    if (m.name !== variable.map || !m.contents) return m;
    if (variable.offset + variable.size > m.contents.length) fail(variable, `lies outside map '${m.name}'`);
    const contents = new Uint8Array(m.contents);
    contents.set(bytes, variable.offset);
    return { ...m, contents };
  });
  return { ...spec, maps };
}

/** Current initial value bytes of a variable. */
export function variableBytes(spec: ObjectSpec, name: string): Uint8Array {
  const variable = spec.variables.find((v) => v.name === name);
  if (!variable) throw new LoaderError("NOT_FOUND", `variable '${name}' not found`, { symbol: name });
  const map = spec.maps.find((m) => m.name === variable.map);
  if (!map?.contents)
    throw new LoaderError("NOT_FOUND", `map '${variable.map}' has no contents`, { map: variable.map });
  return map.contents.slice(variable.offset, variable.offset + variable.size);
}
