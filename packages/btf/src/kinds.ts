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

/** Number of u32 words after the common 3-word header, or -1 for an unknown kind. */
export function extraWords(kind: number, vlen: number): number {
  switch (kind) {
    case Kind.INT:
    case Kind.VAR:
    case Kind.DECL_TAG:
      return 1;
    case Kind.ARRAY:
      return 3;
    case Kind.STRUCT:
    case Kind.UNION:
    case Kind.DATASEC:
    case Kind.ENUM64:
      return vlen * 3;
    case Kind.ENUM:
    case Kind.FUNC_PROTO:
      return vlen * 2;
    case Kind.PTR:
    case Kind.FWD:
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
    case Kind.FUNC:
    case Kind.FLOAT:
    case Kind.TYPE_TAG:
      return 0;
    default:
      return -1;
  }
}

/** Kinds whose third header word is a type id (not a size). */
export function hasTypeRef(kind: number): boolean {
  return (
    kind === Kind.PTR ||
    kind === Kind.TYPEDEF ||
    kind === Kind.VOLATILE ||
    kind === Kind.CONST ||
    kind === Kind.RESTRICT ||
    kind === Kind.FUNC ||
    kind === Kind.FUNC_PROTO ||
    kind === Kind.VAR ||
    kind === Kind.DECL_TAG ||
    kind === Kind.TYPE_TAG
  );
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
  return (
    kind === Kind.STRUCT ||
    kind === Kind.UNION ||
    kind === Kind.ENUM ||
    kind === Kind.ENUM64 ||
    kind === Kind.FWD ||
    kind === Kind.DECL_TAG ||
    kind === Kind.TYPE_TAG
  );
}

/** Kinds whose vlen counts trailing records (FUNC's vlen is its linkage). */
export function hasVlen(kind: number): boolean {
  return (
    kind === Kind.STRUCT ||
    kind === Kind.UNION ||
    kind === Kind.ENUM ||
    kind === Kind.ENUM64 ||
    kind === Kind.FUNC_PROTO ||
    kind === Kind.DATASEC
  );
}
