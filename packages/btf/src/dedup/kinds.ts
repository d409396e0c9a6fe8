// BTF kind numbers and the word layout of each kind's trailing data. Every field of a BTF type record is a u32,
// so the dedup code keeps types as runs of u32 words: [name_off, info, size|type, ...kind-specific words].

export const KIND_INT = 1;
export const KIND_PTR = 2;
export const KIND_ARRAY = 3;
export const KIND_STRUCT = 4;
export const KIND_UNION = 5;
export const KIND_ENUM = 6;
export const KIND_FWD = 7;
export const KIND_TYPEDEF = 8;
export const KIND_VOLATILE = 9;
export const KIND_CONST = 10;
export const KIND_RESTRICT = 11;
export const KIND_FUNC = 12;
export const KIND_FUNC_PROTO = 13;
export const KIND_VAR = 14;
export const KIND_DATASEC = 15;
export const KIND_FLOAT = 16;
export const KIND_DECL_TAG = 17;
export const KIND_TYPE_TAG = 18;
export const KIND_ENUM64 = 19;
export const KIND_MAX = KIND_ENUM64;

export const KIND_NAMES: readonly string[] = [
  "UNKN",
  "INT",
  "PTR",
  "ARRAY",
  "STRUCT",
  "UNION",
  "ENUM",
  "FWD",
  "TYPEDEF",
  "VOLATILE",
  "CONST",
  "RESTRICT",
  "FUNC",
  "FUNC_PROTO",
  "VAR",
  "DATASEC",
  "FLOAT",
  "DECL_TAG",
  "TYPE_TAG",
  "ENUM64",
];

/** Words in a type record before the kind-specific part. */
export const HEAD_WORDS = 3;

export const kindOf = (info: number): number => (info >>> 24) & 0x1f;
export const vlenOf = (info: number): number => info & 0xffff;
export const kflagOf = (info: number): number => info >>> 31;

/** Words after the 3-word head for a type of this kind and vlen; -1 for an unknown kind. */
export function extraWords(kind: number, vlen: number): number {
  switch (kind) {
    case KIND_INT:
    case KIND_VAR:
    case KIND_DECL_TAG:
      return 1;
    case KIND_PTR:
    case KIND_FWD:
    case KIND_TYPEDEF:
    case KIND_VOLATILE:
    case KIND_CONST:
    case KIND_RESTRICT:
    case KIND_FUNC:
    case KIND_FLOAT:
    case KIND_TYPE_TAG:
      return 0;
    case KIND_ARRAY:
      return 3;
    case KIND_STRUCT:
    case KIND_UNION:
    case KIND_DATASEC:
    case KIND_ENUM64:
      return 3 * vlen;
    case KIND_ENUM:
    case KIND_FUNC_PROTO:
      return 2 * vlen;
    default:
      return -1;
  }
}

/**
 * Calls `visit(wordIndex)` for every word of the type at `at` that holds a type id, in libbpf's order
 * (btf_type_visit_type_ids): the single referenced type, array element then index, members, return then params,
 * datasec vars.
 */
export function forEachTypeIdWord(words: Uint32Array, at: number, visit: (wordIndex: number) => void): void {
  const info = words[at + 1] as number;
  const vlen = vlenOf(info);
  switch (kindOf(info)) {
    case KIND_FWD:
    case KIND_PTR:
    case KIND_TYPEDEF:
    case KIND_VOLATILE:
    case KIND_CONST:
    case KIND_RESTRICT:
    case KIND_FUNC:
    case KIND_VAR:
    case KIND_DECL_TAG:
    case KIND_TYPE_TAG:
      visit(at + 2);
      return;
    case KIND_ARRAY:
      visit(at + 3);
      visit(at + 4);
      return;
    case KIND_STRUCT:
    case KIND_UNION:
      for (let i = 0; i < vlen; i++) visit(at + 4 + 3 * i);
      return;
    case KIND_FUNC_PROTO:
      visit(at + 2);
      for (let i = 0; i < vlen; i++) visit(at + 4 + 2 * i);
      return;
    case KIND_DATASEC:
      for (let i = 0; i < vlen; i++) visit(at + 3 + 3 * i);
      return;
    default:
      return;
  }
}

/** Calls `visit(wordIndex)` for every word holding a string offset, in libbpf's order (btf_type_visit_str_offs). */
export function forEachStringWord(words: Uint32Array, at: number, visit: (wordIndex: number) => void): void {
  visit(at);
  const info = words[at + 1] as number;
  const vlen = vlenOf(info);
  switch (kindOf(info)) {
    case KIND_STRUCT:
    case KIND_UNION:
    case KIND_ENUM64:
      for (let i = 0; i < vlen; i++) visit(at + 3 + 3 * i);
      return;
    case KIND_ENUM:
    case KIND_FUNC_PROTO:
      for (let i = 0; i < vlen; i++) visit(at + 3 + 2 * i);
      return;
    default:
      return;
  }
}

/**
 * The same layout as forEachTypeIdWord / forEachStringWord, as tables for hot loops that cannot afford a
 * callback per word: fixed word offsets in the record, then per-member word offset and stride (-1: no members).
 */
export interface WordLayout {
  readonly fixed: readonly (readonly number[])[];
  readonly memberStart: Int8Array;
  readonly memberStride: Int8Array;
}

function layoutTable(fill: (kind: number) => [number[], number, number]): WordLayout {
  const fixed: number[][] = [];
  const memberStart = new Int8Array(KIND_MAX + 1).fill(-1);
  const memberStride = new Int8Array(KIND_MAX + 1);
  for (let kind = 0; kind <= KIND_MAX; kind++) {
    const [f, start, stride] = fill(kind);
    fixed.push(f);
    memberStart[kind] = start;
    memberStride[kind] = stride;
  }
  return { fixed, memberStart, memberStride };
}

export const TYPE_ID_WORDS: WordLayout = layoutTable((kind) => {
  switch (kind) {
    case KIND_FWD:
    case KIND_PTR:
    case KIND_TYPEDEF:
    case KIND_VOLATILE:
    case KIND_CONST:
    case KIND_RESTRICT:
    case KIND_FUNC:
    case KIND_VAR:
    case KIND_DECL_TAG:
    case KIND_TYPE_TAG:
      return [[2], -1, 0];
    case KIND_ARRAY:
      return [[3, 4], -1, 0];
    case KIND_STRUCT:
    case KIND_UNION:
      return [[], 4, 3];
    case KIND_FUNC_PROTO:
      return [[2], 4, 2];
    case KIND_DATASEC:
      return [[], 3, 3];
    default:
      return [[], -1, 0];
  }
});

export const STRING_WORDS: WordLayout = layoutTable((kind) => {
  switch (kind) {
    case KIND_STRUCT:
    case KIND_UNION:
    case KIND_ENUM64:
      return [[0], 3, 3];
    case KIND_ENUM:
    case KIND_FUNC_PROTO:
      return [[0], 3, 2];
    default:
      return [[0], -1, 0];
  }
});
