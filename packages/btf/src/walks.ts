// Type-graph walks with libbpf's semantics: skip modifiers/typedefs, btf__resolve_size, btf__align_of. Every
// walk is bounded (by the id count or libbpf's depth limit), so even BTF parsed without the cycle check cannot
// make one loop forever.

import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { isModOrTypedef, Kind } from "./kinds.js";

/** libbpf's MAX_RESOLVE_DEPTH. */
const MAX_RESOLVE_DEPTH = 32;
const U32_MAX = 0xffffffff;

export function skipModsAndTypedefs(btf: Btf, id: number): number {
  for (let steps = 0; steps < btf.typeCount; steps++) {
    if (!isModOrTypedef(btf.kind(id))) return id;
    id = btf.typeIdOf(id);
  }
  throw new BtfError("CYCLE", "modifier/typedef chain does not end", { typeId: id });
}

export function resolveSize(btf: Btf, start: number): number {
  let id = start;
  let elems = 1;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH && id !== 0; depth++) {
    const kind = btf.kind(id);
    switch (kind) {
      case Kind.INT:
      case Kind.STRUCT:
      case Kind.UNION:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.DATASEC:
      case Kind.FLOAT:
        return checkedProduct(elems, btf.sizeOf(id), start);
      case Kind.PTR:
        return checkedProduct(elems, btf.pointerSize, start);
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.VAR:
      case Kind.DECL_TAG:
      case Kind.TYPE_TAG:
        id = btf.typeIdOf(id);
        break;
      case Kind.ARRAY:
        elems = checkedProduct(elems, btf.arrayLength(id), start);
        id = btf.arrayElemType(id);
        break;
      default:
        throw new BtfError("BAD_SIZE", `type [${id}] of kind ${kind} has no size`, { typeId: start });
    }
  }
  throw new BtfError("BAD_SIZE", id === 0 ? "void has no size" : "type chain too deep", { typeId: start });
}

function checkedProduct(a: number, b: number, typeId: number): number {
  const product = a * b;
  if (product > U32_MAX) throw new BtfError("BAD_SIZE", "size overflows 32 bits", { typeId });
  return product;
}

export function alignOf(btf: Btf, id: number, depth = 0): number {
  if (depth > MAX_RESOLVE_DEPTH) throw new BtfError("BAD_ALIGN", "type nesting too deep", { typeId: id });
  const kind = btf.kind(id);
  switch (kind) {
    case Kind.INT:
    case Kind.ENUM:
    case Kind.ENUM64:
    case Kind.FLOAT:
      return Math.min(btf.pointerSize, btf.sizeOf(id));
    case Kind.PTR:
      return btf.pointerSize;
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
    case Kind.TYPE_TAG:
      return alignOf(btf, btf.typeIdOf(id), depth + 1);
    case Kind.ARRAY:
      return alignOf(btf, btf.arrayElemType(id), depth + 1);
    case Kind.STRUCT:
    case Kind.UNION: {
      const vlen = btf.vlen(id);
      let maxAlign = 1;
      for (let i = 0; i < vlen; i++) {
        const align = alignOf(btf, btf.memberType(id, i), depth + 1);
        if (align > maxAlign) maxAlign = align;
        // A plain member off its natural alignment means the struct is packed.
        if (btf.memberBitfieldSize(id, i) === 0 && btf.memberBitOffset(id, i) % (8 * align) !== 0) return 1;
      }
      // So does a size that is not a multiple of the alignment.
      if (btf.sizeOf(id) % maxAlign !== 0) return 1;
      return maxAlign;
    }
    default:
      throw new BtfError("BAD_ALIGN", `type [${id}] of kind ${kind} has no alignment`, { typeId: id });
  }
}
