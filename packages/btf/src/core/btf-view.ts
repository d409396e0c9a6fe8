// The read-only view of a BTF type graph the CO-RE engine works on. It is deliberately small (the accessors a
// relocation needs, no allocation per call) so the engine can sit on the package's Btf class through a thin adapter
// (see btf-adapter.ts) and tests can feed it any BTF. Ids are global: a split (module) BTF sees its base's ids too.

import { isAnyEnum, KIND_NAMES, Kind } from "../kinds.js";
import type { StringTable } from "../strings.js";

export interface CoreBtf {
  /** Number of valid ids including void (0) and, for split BTF, the base's ids. */
  readonly typeCount: number;
  /** First id this BTF adds (1 for a base BTF, the base's typeCount for split BTF). */
  readonly firstOwnId: number;
  /** Size of a pointer in this BTF's world (8 for BPF objects and 64-bit kernels). */
  readonly pointerSize: number;
  /** Kind of a type; `id` must be in [0, typeCount). Void (0) is Kind.UNKN. */
  kind(id: number): number;
  /** Type name, "" when anonymous. */
  nameOf(id: number): string;
  kindFlag(id: number): boolean;
  vlen(id: number): number;
  /** The raw `size` field (INT/STRUCT/UNION/ENUM/ENUM64/FLOAT/DATASEC). */
  sizeField(id: number): number;
  /** The raw `type` field (PTR, TYPEDEF, modifiers, FUNC, FUNC_PROTO return type, VAR, DECL_TAG). */
  refType(id: number): number;
  memberName(id: number, index: number): string;
  /** The string offset of a member's name (compared without decoding through `strings`). */
  memberNameOff(id: number, index: number): number;
  /** The string section (the base's strings first for split BTF). */
  readonly strings: StringTable;
  memberType(id: number, index: number): number;
  /** Member bit offset, bitfield-aware (kind_flag). */
  memberBitOffset(id: number, index: number): number;
  /** Bitfield size in bits, 0 for a plain member. */
  memberBitfieldSize(id: number, index: number): number;
  arrayElemType(id: number): number;
  arrayIndexType(id: number): number;
  arrayLength(id: number): number;
  /** INT encoding bits (signed/char/bool). */
  intEncoding(id: number): number;
  /** INT bit offset (deprecated bitfield-like ints). */
  intOffset(id: number): number;
  /** INT width in bits. */
  intBits(id: number): number;
  enumValueName(id: number, index: number): string;
  /**
   * Enumerator value: for ENUM the stored 32-bit value read as signed (as libbpf's `__s32 val`), for ENUM64 the
   * unsigned 64-bit value.
   */
  enumValue(id: number, index: number): bigint;
  paramType(id: number, index: number): number;
  paramName(id: number, index: number): string;
  /** A string of the string section, undefined if the offset is out of range. */
  stringAt(offset: number): string | undefined;
}

/** libbpf's btf_kind_str names ("void", "func_proto" ...), used verbatim in trace and error text. */
const KIND_STRINGS: readonly string[] = KIND_NAMES.map((name, kind) =>
  kind === Kind.UNKN ? "void" : name.toLowerCase(),
);

export function kindString(kind: number): string {
  return KIND_STRINGS[kind] ?? "unknown";
}

/** Same kind, or both enums of either width (libbpf's btf_kind_core_compat). */
export function kindsCoreCompatible(a: number, b: number): boolean {
  return a === b || (isAnyEnum(a) && isAnyEnum(b));
}

// The walks are the model's (walks.ts), on any view: -1 / negative errno where libbpf fails.
export {
  resolveSizeOrErrno as resolveSize,
  skipModsAndTypedefsOrInvalid as skipModsAndTypedefs,
  validId,
} from "../walks.js";

/** True for a name of the form `X___Y` at position i (X and Y not underscores): a flavor separator. */
function isFlavorSeparator(name: string, i: number): boolean {
  return (
    name.charCodeAt(i) !== 95 &&
    name.charCodeAt(i + 1) === 95 &&
    name.charCodeAt(i + 2) === 95 &&
    name.charCodeAt(i + 3) === 95 &&
    name.length > i + 4 &&
    name.charCodeAt(i + 4) !== 95
  );
}

/** Length of the name before its last flavor suffix (`task_struct___v2` → 11), libbpf's essential name. */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (isFlavorSeparator(name, i)) return i + 1;
  }
  return name.length;
}

export function essentialName(name: string): string {
  return name.slice(0, essentialNameLength(name));
}
