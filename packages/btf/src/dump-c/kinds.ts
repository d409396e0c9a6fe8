// BTF kind numbers (include/uapi/linux/btf.h) as plain constants, so the hot loops compare small integers.
export const VOID = 0;
export const INT = 1;
export const PTR = 2;
export const ARRAY = 3;
export const STRUCT = 4;
export const UNION = 5;
export const ENUM = 6;
export const FWD = 7;
export const TYPEDEF = 8;
export const VOLATILE = 9;
export const CONST = 10;
export const RESTRICT = 11;
export const FUNC = 12;
export const FUNC_PROTO = 13;
export const VAR = 14;
export const DATASEC = 15;
export const FLOAT = 16;
export const DECL_TAG = 17;
export const TYPE_TAG = 18;
export const ENUM64 = 19;
/** One past the highest kind this dumper knows. */
export const KIND_LIMIT = 20;

/** Words each kind's record has after its 3-word head, or -1 for an unknown kind. */
export function tailWords(kind: number, vlen: number): number {
  switch (kind) {
    case INT:
    case VAR:
    case DECL_TAG:
      return 1;
    case ARRAY:
      return 3;
    case STRUCT:
    case UNION:
    case DATASEC:
    case ENUM64:
      return vlen * 3;
    case ENUM:
    case FUNC_PROTO:
      return vlen * 2;
    case PTR:
    case FWD:
    case TYPEDEF:
    case VOLATILE:
    case CONST:
    case RESTRICT:
    case FUNC:
    case FLOAT:
    case TYPE_TAG:
      return 0;
    default:
      return -1;
  }
}

/** Whether the head's third word is a type id (as opposed to a size, or unused). */
export function headRefersToType(kind: number): boolean {
  switch (kind) {
    case PTR:
    case TYPEDEF:
    case VOLATILE:
    case CONST:
    case RESTRICT:
    case FUNC:
    case FUNC_PROTO:
    case VAR:
    case DECL_TAG:
    case TYPE_TAG:
      return true;
    default:
      return false;
  }
}

/** const, volatile and restrict: the qualifiers C writes next to the type they modify. */
export function isQualifier(kind: number): boolean {
  return kind === VOLATILE || kind === CONST || kind === RESTRICT;
}

/** Qualifiers plus type tags: what libbpf's btf_is_mod() accepts and what the dumper drops before arrays/functions. */
export function isModifier(kind: number): boolean {
  return kind === VOLATILE || kind === CONST || kind === RESTRICT || kind === TYPE_TAG;
}
