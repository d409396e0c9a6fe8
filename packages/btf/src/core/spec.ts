// Access specs: the parsed form of a relocation's access string against a BTF type, and its text form.
// The "raw" spec is the access string itself, one index per level (anonymous struct/union members included);
// the high-level accessors keep only what identifies a field across kernels: named members and array indices.
// libbpf's format is reproduced exactly because our trace is compared line by line with its debug log.

import { isAnyEnum, isComposite, Kind } from "../kinds.js";
import { type CoreBtf, kindString, resolveSize, skipModsAndTypedefs, validId } from "./btf-view.js";
import { CoreFailure } from "./errors.js";
import { coreReloKindName, isEnumvalBased, isFieldBased, isTypeBased } from "./relo-kinds.js";

/** libbpf's BPF_CORE_SPEC_MAX_LEN: deepest access string accepted. */
export const CORE_SPEC_MAX_LEN = 64;

/** One high-level step: a named member of a struct/union, or an array index (name undefined). */
export interface CoreAccessor {
  /** For a member: the (mods-skipped) struct/union holding it; for an index: the element type. */
  typeId: number;
  index: number;
  name: string | undefined;
}

/** A spec is mutable while it is being matched, like libbpf's; finished specs are treated as read-only. */
export interface CoreSpec {
  readonly btf: CoreBtf;
  /** The relocation's type id as written (not skipping typedefs/modifiers). */
  rootTypeId: number;
  readonly kind: number;
  /** High-level accessors (named fields and array indices). */
  accessors: CoreAccessor[];
  /** Low-level spec: one entry per access-string level. */
  raw: number[];
  /** Bit offset of the field from the start of the root type. */
  bitOffset: number;
}

export function emptySpec(btf: CoreBtf, rootTypeId: number, kind: number): CoreSpec {
  return { btf, rootTypeId, kind, accessors: [], raw: [], bitOffset: 0 };
}

/** True when a member at `accessor` is the last one of its struct and the array has no elements. */
export function isFlexibleArray(btf: CoreBtf, accessor: CoreAccessor | undefined, arrayLength: number): boolean {
  if (accessor === undefined || accessor.name === undefined || arrayLength > 0) return false;
  return accessor.index === btf.vlen(accessor.typeId) - 1;
}

const ACCESS_STRING = /^[0-9]+(?::[0-9]+)*$/;
const INT_MAX = 0x7fffffff;

function bad(message: string): never {
  throw new CoreFailure("BAD_ACCESS_STRING", message);
}

/** Splits "0:1:2" into numbers; rejects what libbpf's sscanf loop rejects (and negative numbers it would misuse). */
export function parseAccessString(text: string): number[] {
  if (!ACCESS_STRING.test(text)) bad(`access string '${text}' is not a list of indices like 0:1:2`);
  const parts = text.split(":");
  if (parts.length > CORE_SPEC_MAX_LEN) bad(`access string '${text}' is deeper than ${CORE_SPEC_MAX_LEN} levels`);
  return parts.map((part) => {
    const value = Number(part);
    if (value > INT_MAX) bad(`access index ${part} is too large`);
    return value;
  });
}

/**
 * Parses a relocation's access string against the local type (libbpf's bpf_core_parse_spec). Throws CoreFailure
 * (BAD_ACCESS_STRING or BAD_BTF) for what libbpf rejects with -EINVAL/-E2BIG.
 */
export function parseSpec(btf: CoreBtf, rootTypeId: number, accessString: string, kind: number): CoreSpec {
  if (!validId(btf, rootTypeId)) throw new CoreFailure("BAD_TYPE_ID", `type id ${rootTypeId} is out of range`);
  if (accessString === "" || accessString.startsWith(":")) bad(`access string '${accessString}' is empty`);
  const spec = emptySpec(btf, rootTypeId, kind);

  if (isTypeBased(kind)) {
    if (accessString !== "0") bad(`type-based relocation needs access string "0", got '${accessString}'`);
    return spec;
  }
  const raw = parseAccessString(accessString);
  spec.raw = raw;

  let id = skipModsAndTypedefs(btf, rootTypeId);
  if (id < 0) throw new CoreFailure("BAD_BTF", `type [${rootTypeId}] references a type out of range`);
  const first = raw[0]!;
  const rootAccessor: CoreAccessor = { typeId: id, index: first, name: undefined };
  spec.accessors.push(rootAccessor);

  if (isEnumvalBased(kind)) {
    const enumKind = btf.kind(id);
    if (!isAnyEnum(enumKind)) bad(`enum value relocation on [${id}] ${kindString(enumKind)}, not an enum`);
    if (raw.length > 1) bad(`enum value relocation takes one index, got '${accessString}'`);
    if (first >= btf.vlen(id)) bad(`enumerator index ${first} is past the ${btf.vlen(id)} values of [${id}]`);
    rootAccessor.name = btf.enumValueName(id, first);
    return spec;
  }
  if (!isFieldBased(kind)) bad(`unknown relocation kind ${kind}`);

  let size = resolveSize(btf, id);
  if (size < 0) throw new CoreFailure("BAD_ACCESS_STRING", `cannot size root type [${id}]`);
  spec.bitOffset = (first * size * 8) >>> 0;

  for (let level = 1; level < raw.length; level++) {
    id = skipModsAndTypedefs(btf, id);
    if (id < 0) throw new CoreFailure("BAD_BTF", "type reference out of range");
    const index = raw[level]!;
    const kindHere = btf.kind(id);
    if (isComposite(kindHere)) {
      if (index >= btf.vlen(id)) bad(`member index ${index} is past the ${btf.vlen(id)} members of [${id}]`);
      spec.bitOffset = (spec.bitOffset + btf.memberBitOffset(id, index)) >>> 0;
      const name = btf.memberName(id, index);
      if (name !== "") spec.accessors.push({ typeId: id, index, name });
      id = btf.memberType(id, index);
    } else if (kindHere === Kind.ARRAY) {
      const length = btf.arrayLength(id);
      const elem = skipModsAndTypedefs(btf, btf.arrayElemType(id));
      if (elem < 0) throw new CoreFailure("BAD_BTF", `array [${id}] element type out of range`);
      const flexible = isFlexibleArray(btf, spec.accessors[spec.accessors.length - 1], length);
      if (!flexible && index >= length) bad(`array index ${index} is past the ${length} elements of [${id}]`);
      spec.accessors.push({ typeId: elem, index, name: undefined });
      id = elem;
      size = resolveSize(btf, id);
      if (size < 0) throw new CoreFailure("BAD_ACCESS_STRING", `cannot size array element [${id}]`);
      spec.bitOffset = (spec.bitOffset + index * size * 8) >>> 0;
    } else {
      bad(
        `relo for [${rootTypeId}] ${accessString} (at idx ${level}) captures type [${id}] of unexpected kind ${kindString(kindHere)}`,
      );
    }
  }
  return spec;
}

function u32ToS32(value: number): number {
  return value | 0;
}

/**
 * libbpf's bpf_core_format_spec: `<kind> [id] kind name` then `.field[idx] (raw @ offset B[.b])` for fields or
 * `::NAME = value` for enumerators.
 */
export function formatSpec(spec: CoreSpec): string {
  const { btf } = spec;
  const rootId = spec.rootTypeId;
  const rootKind = validId(btf, rootId) ? btf.kind(rootId) : -1;
  const rootName = validId(btf, rootId) ? btf.nameOf(rootId) : "";
  let text = `<${coreReloKindName(spec.kind)}> [${rootId}] ${kindString(rootKind)} ${rootName === "" ? "<anon>" : rootName}`;
  if (isTypeBased(spec.kind)) return text;

  if (isEnumvalBased(spec.kind)) {
    const id = skipModsAndTypedefs(btf, rootId);
    const index = spec.raw[0] ?? 0;
    if (id < 0 || index >= btf.vlen(id)) return `${text}::<?>`;
    const name = btf.enumValueName(id, index);
    const value = btf.enumValue(id, index);
    if (btf.kind(id) === Kind.ENUM) {
      const v32 = Number(BigInt.asIntN(32, value));
      text += `::${name} = ${btf.kindFlag(id) ? u32ToS32(v32) : v32 >>> 0}`;
    } else {
      text += `::${name} = ${btf.kindFlag(id) ? BigInt.asIntN(64, value) : BigInt.asUintN(64, value)}`;
    }
    return text;
  }

  if (isFieldBased(spec.kind)) {
    spec.accessors.forEach((accessor, i) => {
      if (accessor.name !== undefined) text += `.${accessor.name}`;
      else if (i > 0 || accessor.index > 0) text += `[${accessor.index}]`;
    });
    const bytes = Math.floor(spec.bitOffset / 8);
    const bits = spec.bitOffset % 8;
    text += ` (${spec.raw.join(":")} @ offset ${bits ? `${bytes}.${bits}` : bytes})`;
  }
  return text;
}

/** libbpf formats specs into a 256-byte buffer; its log lines carry at most 255 characters of a spec. */
export function truncateLikeLibbpf(specText: string): string {
  return specText.length > 255 ? specText.slice(0, 255) : specText;
}
