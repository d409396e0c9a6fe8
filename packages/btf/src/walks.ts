// Type-graph walks with libbpf's semantics: skip modifiers/typedefs, btf__resolve_size, btf__align_of. Every
// walk is bounded (by the id count or libbpf's depth limit), so even BTF parsed without the cycle check cannot
// make one loop forever.

import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { isModOrTypedef, Kind } from "./kinds.js";

// Kind numbers as module constants: read in code that runs unoptimized (one-shot dumps), `Kind.X` is a
// property load at every use, and a switch evaluates its cases one by one.
const {
  INT,
  STRUCT,
  UNION,
  ENUM,
  ENUM64,
  DATASEC,
  FLOAT,
  PTR,
  VAR,
  DECL_TAG,
  ARRAY,
  TYPEDEF,
  VOLATILE,
  CONST,
  RESTRICT,
  TYPE_TAG,
} = Kind;

/** libbpf's MAX_RESOLVE_DEPTH. */
const MAX_RESOLVE_DEPTH = 32;
const U32_MAX = 0xffffffff;
const EINVAL = 22;
const E2BIG = 7;

/** What the size and chain walks read: a Btf, or any CO-RE type view. */
export interface TypeWalkView {
  readonly typeCount: number;
  readonly pointerSize: number;
  kind(id: number): number;
  /** The third header word: a size or a type id, by kind. */
  refType(id: number): number;
  arrayLength(id: number): number;
  arrayElemType(id: number): number;
}

/** Whether `id` names a type of the view (void included). */
export function validId(view: { readonly typeCount: number }, id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < view.typeCount;
}

/**
 * Follows typedefs and const/volatile/restrict/type_tag to the underlying type id, or -1 when a reference leaves
 * the id space or the chain does not end (a cycle only BTF parsed without the cycle check can contain).
 */
export function skipModsAndTypedefsOrInvalid(view: TypeWalkView, id: number): number {
  for (let steps = 0; steps <= view.typeCount; steps++) {
    if (!validId(view, id)) return -1;
    if (!isModOrTypedef(view.kind(id))) return id;
    id = view.refType(id);
  }
  return -1;
}

/** libbpf's btf__resolve_size: the byte size of a type, or -EINVAL (no size, too deep) / -E2BIG (overflow). */
export function resolveSizeOrErrno(view: TypeWalkView, id: number): number {
  let elems = 1;
  let size = -1;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    if (!validId(view, id) || id === 0) break;
    const kind = view.kind(id);
    if (
      kind === INT ||
      kind === STRUCT ||
      kind === UNION ||
      kind === ENUM ||
      kind === ENUM64 ||
      kind === DATASEC ||
      kind === FLOAT
    ) {
      size = view.refType(id);
      break;
    }
    if (kind === PTR) {
      size = view.pointerSize;
      break;
    }
    if (isModOrTypedef(kind) || kind === VAR || kind === DECL_TAG) {
      id = view.refType(id);
      continue;
    }
    if (kind === ARRAY) {
      const n = view.arrayLength(id);
      if (elems && n > Math.floor(U32_MAX / elems)) return -E2BIG;
      elems *= n;
      id = view.arrayElemType(id);
      continue;
    }
    return -EINVAL;
  }
  if (size < 0) return -EINVAL;
  if (elems && size > Math.floor(U32_MAX / elems)) return -E2BIG;
  return elems * size;
}

/** skipModsAndTypedefsOrInvalid for a Btf, throwing BtfError CYCLE where the chain does not end. */
export function skipModsAndTypedefs(btf: Btf, id: number): number {
  btf.kind(id); // an id outside the BTF is BAD_TYPE_ID, as for every accessor
  const target = skipModsAndTypedefsOrInvalid(btf, id);
  if (target < 0) throw new BtfError("CYCLE", "modifier/typedef chain does not end", { typeId: id });
  return target;
}

/** resolveSizeOrErrno for a Btf, throwing BtfError BAD_SIZE where libbpf fails. */
export function resolveSize(btf: Btf, id: number): number {
  btf.kind(id); // an id outside the BTF is BAD_TYPE_ID, as for every accessor
  const size = resolveSizeOrErrno(btf, id);
  if (size === -E2BIG) throw new BtfError("BAD_SIZE", "size overflows 32 bits", { typeId: id });
  if (size < 0) throw new BtfError("BAD_SIZE", `type [${id}] has no size`, { typeId: id });
  return size;
}

/** What btf__align_of reads besides the size walk's view: struct and union members. */
export interface AlignView extends TypeWalkView {
  vlen(id: number): number;
  memberType(id: number, index: number): number;
  memberBitOffset(id: number, index: number): number;
  memberBitfieldSize(id: number, index: number): number;
}

/**
 * libbpf's btf__align_of for one type, with the types it refers to aligned through `alignOfType` (the caller
 * recurses, with its own depth limit and memo): the natural alignment, 1 for a struct whose layout proves it packed,
 * 0 where libbpf fails (void, functions, a member without alignment).
 */
export function alignmentOf(view: AlignView, id: number, alignOfType: (id: number) => number): number {
  switch (view.kind(id)) {
    case INT:
    case ENUM:
    case ENUM64:
    case FLOAT:
      return Math.min(view.pointerSize, view.refType(id));
    case PTR:
      return view.pointerSize;
    case TYPEDEF:
    case VOLATILE:
    case CONST:
    case RESTRICT:
    case TYPE_TAG:
      return alignOfType(view.refType(id));
    case ARRAY:
      return alignOfType(view.arrayElemType(id));
    case STRUCT:
    case UNION: {
      const vlen = view.vlen(id);
      let maxAlign = 1;
      for (let i = 0; i < vlen; i++) {
        const align = alignOfType(view.memberType(id, i));
        if (align <= 0) return align;
        if (align > maxAlign) maxAlign = align;
        // A plain member off its natural alignment means the struct is packed.
        if (view.memberBitfieldSize(id, i) === 0 && view.memberBitOffset(id, i) % (8 * align) !== 0) return 1;
      }
      // So does a size that is not a multiple of the alignment.
      return view.refType(id) % maxAlign !== 0 ? 1 : maxAlign;
    }
    default:
      return 0;
  }
}

/** alignmentOf for a Btf, throwing BtfError BAD_ALIGN where libbpf fails or the nesting is deeper than 32. */
export function alignOf(btf: Btf, id: number, depth = 0): number {
  if (depth > MAX_RESOLVE_DEPTH) throw new BtfError("BAD_ALIGN", "type nesting too deep", { typeId: id });
  const align = alignmentOf(btf, id, (type) => alignOf(btf, type, depth + 1));
  if (align <= 0) {
    throw new BtfError("BAD_ALIGN", `type [${id}] of kind ${btf.kind(id)} has no alignment`, { typeId: id });
  }
  return align;
}
