// BTF kind numbers and the fixed record layout of each kind (include/uapi/linux/btf.h). A type record is a
// 12-byte common header (name_off, info, size/type) followed by kind-specific u32 words.

export const Kind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

export type KindNumber = (typeof Kind)[keyof typeof Kind];

/** Highest kind number this package understands. */
export const MAX_KIND = 19;

/** Upper-case kind names as bpftool prints them (index = kind number). */
export const KIND_NAMES: readonly string[] = [
  "UNKNOWN",
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

/** BTF_INT_* encoding bits of an INT. */
export const IntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** Linkage of a FUNC (stored in its vlen) and of a VAR. */
export const Linkage = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;

/**
 * How one kind's record is laid out: the one description every reader of type words derives its loops from
 * (the validating scan, the cycle check, dedup's remapping, the dumps). Word offsets count from the record's
 * first word (name_off); vlen records start at word 3 + fixedWords.
 */
export interface KindLayout {
  /** Words after the 3-word header before the vlen records (INT's data, ARRAY's three words ...). */
  readonly fixedWords: number;
  /** Words per vlen record (0: vlen counts nothing, or is FUNC's linkage). */
  readonly recordWords: number;
  /** What the third header word holds. */
  readonly third: "size" | "type" | "unused";
  /** Offsets of the fixed words holding type ids (ARRAY's element and index types). */
  readonly fixedTypeIds: readonly number[];
  /** Offset inside each vlen record of its name and of its type id, -1 where it has none. */
  readonly recordName: number;
  readonly recordType: number;
  /**
   * Word holding the one reference a chain of non-composite types follows (see cycles.ts), 0 when the kind ends
   * such chains (STRUCT, UNION, FUNC_PROTO, DATASEC and kinds without references).
   */
  readonly chainLink: number;
  /** Whether kind_flag may be set (the kernel refuses it elsewhere). */
  readonly kindFlag: boolean;
}

function layout(fields: Partial<KindLayout>): KindLayout {
  return {
    fixedWords: 0,
    recordWords: 0,
    third: "size",
    fixedTypeIds: [],
    recordName: -1,
    recordType: -1,
    chainLink: 0,
    kindFlag: false,
    ...fields,
  };
}

const reference = layout({ third: "type", chainLink: 2 });

/** Record layout by kind number; undefined for 0 (void has no record) and unknown kinds. */
export const KIND_LAYOUTS: readonly (KindLayout | undefined)[] = [
  undefined,
  /* INT */ layout({ fixedWords: 1 }),
  /* PTR */ reference,
  /* ARRAY */ layout({ third: "unused", fixedWords: 3, fixedTypeIds: [3, 4], chainLink: 3 }),
  /* STRUCT */ layout({ recordWords: 3, recordName: 0, recordType: 1, kindFlag: true }),
  /* UNION */ layout({ recordWords: 3, recordName: 0, recordType: 1, kindFlag: true }),
  /* ENUM */ layout({ recordWords: 2, recordName: 0, kindFlag: true }),
  /* FWD */ layout({ third: "unused", kindFlag: true }),
  /* TYPEDEF */ reference,
  /* VOLATILE */ reference,
  /* CONST */ reference,
  /* RESTRICT */ reference,
  /* FUNC */ reference,
  /* FUNC_PROTO */ layout({ third: "type", recordWords: 2, recordName: 0, recordType: 1 }),
  /* VAR */ layout({ third: "type", fixedWords: 1, chainLink: 2 }),
  /* DATASEC */ layout({ recordWords: 3, recordType: 0 }),
  /* FLOAT */ layout({}),
  /* DECL_TAG */ layout({ third: "type", fixedWords: 1, chainLink: 2, kindFlag: true }),
  /* TYPE_TAG */ layout({ third: "type", chainLink: 2, kindFlag: true }),
  /* ENUM64 */ layout({ recordWords: 3, recordName: 0, kindFlag: true }),
];

/** Kind number of an info word. */
export const kindOf = (info: number): number => (info >>> 24) & 0x1f;
/** vlen of an info word (member count, or a FUNC's linkage). */
export const vlenOf = (info: number): number => info & 0xffff;
/** kind_flag of an info word, 0 or 1. */
export const kindFlagOf = (info: number): number => info >>> 31;

/** Words in every record before the kind-specific part: name_off, info, size|type. */
export const HEADER_WORDS = 3;

/** Number of u32 words after the common 3-word header, or -1 for an unknown kind. */
export function extraWords(kind: number, vlen: number): number {
  const l = KIND_LAYOUTS[kind];
  return l === undefined ? -1 : l.fixedWords + l.recordWords * vlen;
}

/** Kinds whose third header word is a type id (not a size). */
export function hasTypeRef(kind: number): boolean {
  return KIND_LAYOUTS[kind]?.third === "type";
}

/** const / volatile / restrict / type_tag. */
export function isModifier(kind: number): boolean {
  return kind === Kind.VOLATILE || kind === Kind.CONST || kind === Kind.RESTRICT || kind === Kind.TYPE_TAG;
}

export function isModOrTypedef(kind: number): boolean {
  return kind === Kind.TYPEDEF || isModifier(kind);
}

export function isComposite(kind: number): boolean {
  return kind === Kind.STRUCT || kind === Kind.UNION;
}

export function isAnyEnum(kind: number): boolean {
  return kind === Kind.ENUM || kind === Kind.ENUM64;
}

/** Kinds that may carry kind_flag: the rest must have it clear (the kernel refuses it too). */
export function allowsKindFlag(kind: number): boolean {
  return KIND_LAYOUTS[kind]?.kindFlag === true;
}

/** Kinds whose vlen counts trailing records (FUNC's vlen is its linkage). */
export function hasVlen(kind: number): boolean {
  return (KIND_LAYOUTS[kind]?.recordWords ?? 0) > 0;
}

/**
 * Where a kind's type ids or string offsets sit, as flat tables for hot loops (index = kind): the fixed word
 * offsets in the record, then the per-record word offset and stride (-1: no such record word). Fixed words come
 * before record words, which is libbpf's visit order (btf_type_visit_type_ids / btf_type_visit_str_offs).
 */
export interface WordLayout {
  readonly fixed: readonly (readonly number[])[];
  readonly recordStart: Int8Array;
  readonly recordStride: Int8Array;
}

function wordLayout(fixed: (l: KindLayout, kind: number) => number[], inRecord: (l: KindLayout) => number): WordLayout {
  const all: number[][] = [];
  const recordStart = new Int8Array(MAX_KIND + 1).fill(-1);
  const recordStride = new Int8Array(MAX_KIND + 1);
  for (let kind = 0; kind <= MAX_KIND; kind++) {
    const l = KIND_LAYOUTS[kind];
    all.push(l ? fixed(l, kind) : []);
    if (l && l.recordWords > 0 && inRecord(l) >= 0) {
      recordStart[kind] = HEADER_WORDS + l.fixedWords + inRecord(l);
      recordStride[kind] = l.recordWords;
    }
  }
  return { fixed: all, recordStart, recordStride };
}

/**
 * Words holding type ids. FWD's unused third word is included: libbpf 1.1 visits it as a type id (it is 0, so
 * remapping keeps it 0).
 */
export const TYPE_ID_WORDS: WordLayout = wordLayout(
  (l, kind) => (l.third === "type" || kind === Kind.FWD ? [2, ...l.fixedTypeIds] : [...l.fixedTypeIds]),
  (l) => l.recordType,
);

/** Words holding string offsets: the type's name, then each record's name. */
export const STRING_WORDS: WordLayout = wordLayout(
  () => [0],
  (l) => l.recordName,
);

function forEachWord(layout: WordLayout, words: Uint32Array, at: number, visit: (wordIndex: number) => void): void {
  const info = words[at + 1] as number;
  const kind = kindOf(info);
  if (kind > MAX_KIND) return;
  for (const word of layout.fixed[kind] as readonly number[]) visit(at + word);
  const start = layout.recordStart[kind] as number;
  if (start < 0) return;
  const stride = layout.recordStride[kind] as number;
  const vlen = vlenOf(info);
  for (let i = 0; i < vlen; i++) visit(at + start + stride * i);
}

/**
 * Calls `visit(wordIndex)` for every word of the record at `at` that holds a type id, in libbpf's order
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
