// Where the type ids and string offsets sit in each kind's record (kind numbers and record sizes are the package's,
// ../kinds.ts). Every field of a BTF type record is a u32, so the dedup code keeps types as runs of u32 words:
// [name_off, info, size|type, ...kind-specific words].

import { Kind, MAX_KIND } from "../kinds.js";

/** Words in a type record before the kind-specific part. */
export const HEAD_WORDS = 3;

export const kindOf = (info: number): number => (info >>> 24) & 0x1f;
export const vlenOf = (info: number): number => info & 0xffff;
export const kflagOf = (info: number): number => info >>> 31;

/**
 * Where a kind's type ids or string offsets sit, as tables (hot loops read them directly instead of paying a
 * callback per word): fixed word offsets in the record, then per-member word offset and stride (-1: no members).
 * Fixed words come before member words, which is libbpf's visit order.
 */
export interface WordLayout {
  readonly fixed: readonly (readonly number[])[];
  readonly memberStart: Int8Array;
  readonly memberStride: Int8Array;
}

function layoutTable(fill: (kind: number) => [number[], number, number]): WordLayout {
  const fixed: number[][] = [];
  const memberStart = new Int8Array(MAX_KIND + 1).fill(-1);
  const memberStride = new Int8Array(MAX_KIND + 1);
  for (let kind = 0; kind <= MAX_KIND; kind++) {
    const [f, start, stride] = fill(kind);
    fixed.push(f);
    memberStart[kind] = start;
    memberStride[kind] = stride;
  }
  return { fixed, memberStart, memberStride };
}

export const TYPE_ID_WORDS: WordLayout = layoutTable((kind) => {
  switch (kind) {
    case Kind.FWD:
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
    case Kind.FUNC:
    case Kind.VAR:
    case Kind.DECL_TAG:
    case Kind.TYPE_TAG:
      return [[2], -1, 0];
    case Kind.ARRAY:
      return [[3, 4], -1, 0];
    case Kind.STRUCT:
    case Kind.UNION:
      return [[], 4, 3];
    case Kind.FUNC_PROTO:
      return [[2], 4, 2];
    case Kind.DATASEC:
      return [[], 3, 3];
    default:
      return [[], -1, 0];
  }
});

export const STRING_WORDS: WordLayout = layoutTable((kind) => {
  switch (kind) {
    case Kind.STRUCT:
    case Kind.UNION:
    case Kind.ENUM64:
      return [[0], 3, 3];
    case Kind.ENUM:
    case Kind.FUNC_PROTO:
      return [[0], 3, 2];
    default:
      return [[0], -1, 0];
  }
});

function forEachWord(layout: WordLayout, words: Uint32Array, at: number, visit: (wordIndex: number) => void): void {
  const info = words[at + 1] as number;
  const kind = kindOf(info);
  if (kind > MAX_KIND) return;
  for (const word of layout.fixed[kind] as readonly number[]) visit(at + word);
  const start = layout.memberStart[kind] as number;
  if (start < 0) return;
  const stride = layout.memberStride[kind] as number;
  const vlen = vlenOf(info);
  for (let i = 0; i < vlen; i++) visit(at + start + stride * i);
}

/**
 * Calls `visit(wordIndex)` for every word of the type at `at` that holds a type id, in libbpf's order
 * (btf_type_visit_type_ids): the single referenced type, array element then index, members, return then params,
 * datasec vars.
 */
export function forEachTypeIdWord(words: Uint32Array, at: number, visit: (wordIndex: number) => void): void {
  forEachWord(TYPE_ID_WORDS, words, at, visit);
}

/** Calls `visit(wordIndex)` for every word holding a string offset, in libbpf's order (btf_type_visit_str_offs). */
export function forEachStringWord(words: Uint32Array, at: number, visit: (wordIndex: number) => void): void {
  forEachWord(STRING_WORDS, words, at, visit);
}
