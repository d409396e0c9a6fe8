// The decoded form of a BTF type: one interface per kind, discriminated by `kind`. `btf.type(id)` builds these
// on demand; BtfBuilder.add() takes them back. Name offsets ride along so that encoding a decoded BTF reproduces
// the original string table byte for byte; a builder ignores `nameOff` when it does not point at `name`.

import type { Kind } from "./kinds.js";

/** Fields every named thing carries. */
export interface Named {
  /** "" for anonymous. */
  readonly name: string;
  /** Offset of `name` in the string section, when decoded from a blob. */
  readonly nameOff?: number;
}

export interface VoidType {
  readonly kind: typeof Kind.UNKN;
  readonly name: "";
}

export interface IntType extends Named {
  readonly kind: typeof Kind.INT;
  /** Byte size. */
  readonly size: number;
  /** IntEncoding bits: SIGNED 1, CHAR 2, BOOL 4. */
  readonly encoding: number;
  /** BTF_INT_OFFSET (almost always 0). */
  readonly bitOffset: number;
  /** BTF_INT_BITS. */
  readonly bits: number;
}

export interface PtrType extends Named {
  readonly kind: typeof Kind.PTR;
  readonly type: number;
}

export interface ArrayType extends Named {
  readonly kind: typeof Kind.ARRAY;
  /** Element type. */
  readonly type: number;
  readonly indexType: number;
  readonly nelems: number;
}

export interface Member extends Named {
  readonly type: number;
  /** Offset of the member in bits from the start of the struct. */
  readonly bitOffset: number;
  /** Bitfield width in bits; 0 for a plain member. Non-zero only when the struct has kindFlag set. */
  readonly bitfieldSize: number;
}

export interface CompositeType extends Named {
  readonly kind: typeof Kind.STRUCT | typeof Kind.UNION;
  readonly size: number;
  /** kind_flag: member offsets carry bitfield sizes in their top 8 bits. */
  readonly kindFlag: boolean;
  readonly members: readonly Member[];
}

export interface EnumValue extends Named {
  /** ENUM: the 32-bit value, read as signed when the enum is signed, else unsigned. */
  readonly value: number;
}

export interface EnumType extends Named {
  readonly kind: typeof Kind.ENUM;
  readonly size: number;
  /** kind_flag: values are signed. */
  readonly signed: boolean;
  readonly values: readonly EnumValue[];
}

export interface Enum64Value extends Named {
  /** Signed or unsigned 64-bit value, per the enum's `signed`. */
  readonly value: bigint;
}

export interface Enum64Type extends Named {
  readonly kind: typeof Kind.ENUM64;
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly Enum64Value[];
}

export interface FwdType extends Named {
  readonly kind: typeof Kind.FWD;
  /** kind_flag: a forward declaration of a union rather than a struct. */
  readonly union: boolean;
}

/** TYPEDEF, VOLATILE, CONST, RESTRICT: a name (typedef only) and the type they refer to. */
export interface RefType extends Named {
  readonly kind: typeof Kind.TYPEDEF | typeof Kind.VOLATILE | typeof Kind.CONST | typeof Kind.RESTRICT;
  readonly type: number;
}

export interface TypeTagType extends Named {
  readonly kind: typeof Kind.TYPE_TAG;
  readonly type: number;
  /** kind_flag (newer kernels: the tag is an attribute); kept for byte-exact round trips. */
  readonly kindFlag: boolean;
}

export interface FuncType extends Named {
  readonly kind: typeof Kind.FUNC;
  /** The FUNC_PROTO. */
  readonly type: number;
  /** Linkage.STATIC / GLOBAL / EXTERN (stored in vlen). */
  readonly linkage: number;
}

export interface Param extends Named {
  /** 0 for the `...` of a variadic function (last parameter only). */
  readonly type: number;
}

export interface FuncProtoType extends Named {
  readonly kind: typeof Kind.FUNC_PROTO;
  /** Return type, 0 for void. */
  readonly type: number;
  readonly params: readonly Param[];
}

export interface VarType extends Named {
  readonly kind: typeof Kind.VAR;
  readonly type: number;
  /** Linkage.STATIC / GLOBAL / EXTERN. */
  readonly linkage: number;
}

export interface VarSecinfo {
  /** The VAR (or FUNC, for .ksyms) this entry describes. */
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export interface DatasecType extends Named {
  readonly kind: typeof Kind.DATASEC;
  readonly size: number;
  readonly vars: readonly VarSecinfo[];
}

export interface FloatType extends Named {
  readonly kind: typeof Kind.FLOAT;
  readonly size: number;
}

export interface DeclTagType extends Named {
  readonly kind: typeof Kind.DECL_TAG;
  readonly type: number;
  /** -1: the tag applies to the type itself; otherwise the member / parameter index. */
  readonly componentIdx: number;
  readonly kindFlag: boolean;
}

/** Any decoded BTF type except void. */
export type BtfType =
  | IntType
  | PtrType
  | ArrayType
  | CompositeType
  | EnumType
  | Enum64Type
  | FwdType
  | RefType
  | TypeTagType
  | FuncType
  | FuncProtoType
  | VarType
  | DatasecType
  | FloatType
  | DeclTagType;
