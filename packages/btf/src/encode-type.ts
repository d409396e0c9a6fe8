// The inverse of decode-type.ts: one type object to its u32 words (host order). Names become string offsets
// through `nameOf`, which lets the builder reuse a decoded `nameOff` or add the string.

import { BtfError } from "./errors.js";
import { Kind } from "./kinds.js";
import type { BtfType, Named } from "./types.js";

const U32_MAX = 0xffffffff;

function fail(message: string): never {
  throw new BtfError("BAD_ARGUMENT", message);
}

function u32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) fail(`${what} ${value} is not a u32`);
  return value;
}

function vlenOf(count: number): number {
  if (count > 0xffff) fail(`${count} members exceed the 16-bit vlen`);
  return count;
}

function info(kind: number, vlen: number, kindFlag: boolean): number {
  return ((kindFlag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
}

/** Appends the words of `t` to `out`. */
export function encodeTypeWords(t: BtfType, nameOf: (named: Named) => number, out: number[]): void {
  const name = nameOf(t);
  switch (t.kind) {
    case Kind.INT: {
      if (t.bits > 128 || t.bitOffset > 255 || t.encoding > 15) fail("INT bits/offset/encoding out of range");
      out.push(name, info(t.kind, 0, false), u32(t.size, "INT size"));
      out.push(((t.encoding << 24) | (t.bitOffset << 16) | t.bits) >>> 0);
      return;
    }
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
      out.push(name, info(t.kind, 0, false), u32(t.type, "type id"));
      return;
    case Kind.TYPE_TAG:
      out.push(name, info(t.kind, 0, t.kindFlag), u32(t.type, "type id"));
      return;
    case Kind.ARRAY:
      out.push(name, info(t.kind, 0, false), 0);
      out.push(u32(t.type, "element type"), u32(t.indexType, "index type"), u32(t.nelems, "nelems"));
      return;
    case Kind.STRUCT:
    case Kind.UNION: {
      out.push(name, info(t.kind, vlenOf(t.members.length), t.kindFlag), u32(t.size, "size"));
      for (const m of t.members) {
        let offset = u32(m.bitOffset, "member bit offset");
        if (t.kindFlag) {
          if (offset > 0xffffff || m.bitfieldSize > 255) fail(`member ${m.name}: bitfield offset/size out of range`);
          offset = ((m.bitfieldSize << 24) | offset) >>> 0;
        } else if (m.bitfieldSize !== 0) {
          fail(`member ${m.name} is a bitfield but the struct has no kind_flag`);
        }
        out.push(nameOf(m), u32(m.type, "member type"), offset);
      }
      return;
    }
    case Kind.ENUM: {
      out.push(name, info(t.kind, vlenOf(t.values.length), t.signed), u32(t.size, "size"));
      for (const v of t.values) {
        if (!Number.isInteger(v.value) || v.value < -0x80000000 || v.value > U32_MAX) fail(`enum value ${v.value}`);
        out.push(nameOf(v), v.value >>> 0);
      }
      return;
    }
    case Kind.ENUM64: {
      out.push(name, info(t.kind, vlenOf(t.values.length), t.signed), u32(t.size, "size"));
      for (const v of t.values) {
        if (v.value < -(1n << 63n) || v.value >= 1n << 64n) fail(`enum64 value ${v.value}`);
        const bits = BigInt.asUintN(64, v.value);
        out.push(nameOf(v), Number(bits & 0xffffffffn), Number(bits >> 32n));
      }
      return;
    }
    case Kind.FWD:
      out.push(name, info(t.kind, 0, t.union), 0);
      return;
    case Kind.FUNC:
      if (t.linkage > 2 || t.linkage < 0) fail(`FUNC linkage ${t.linkage}`);
      out.push(name, info(t.kind, t.linkage, false), u32(t.type, "type id"));
      return;
    case Kind.FUNC_PROTO:
      out.push(name, info(t.kind, vlenOf(t.params.length), false), u32(t.type, "return type"));
      for (const p of t.params) out.push(nameOf(p), u32(p.type, "param type"));
      return;
    case Kind.VAR:
      out.push(name, info(t.kind, 0, false), u32(t.type, "type id"), u32(t.linkage, "linkage"));
      return;
    case Kind.DATASEC:
      out.push(name, info(t.kind, vlenOf(t.vars.length), false), u32(t.size, "size"));
      for (const v of t.vars) out.push(u32(v.type, "var type"), u32(v.offset, "var offset"), u32(v.size, "var size"));
      return;
    case Kind.FLOAT:
      out.push(name, info(t.kind, 0, false), u32(t.size, "size"));
      return;
    case Kind.DECL_TAG:
      if (!Number.isInteger(t.componentIdx) || t.componentIdx < -1 || t.componentIdx > 0x7fffffff) {
        fail(`component_idx ${t.componentIdx}`);
      }
      out.push(name, info(t.kind, 0, t.kindFlag), u32(t.type, "type id"), t.componentIdx >>> 0);
      return;
    default:
      fail(`cannot encode kind ${(t as { kind: number }).kind}`);
  }
}
