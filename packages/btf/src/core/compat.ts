// Type compatibility rules of CO-RE, one function per libbpf rule set:
//  - typesAreCompatible: TYPE_ID_TARGET / TYPE_EXISTS / TYPE_SIZE (kinds equal, names ignored below the root);
//  - fieldsAreCompatible: the type of a matched field (composites always, ints of any size, enums/fwds by name);
//  - typesMatch: TYPE_MATCHES (names, member sets, int size+sign, array lengths, fwd/struct rules behind pointers).
// Names of the root types were already matched by the candidate search. Malformed graphs (references out of range,
// nesting deeper than libbpf's limits) raise CoreFailure like libbpf's -EINVAL.

import { IntEncoding, isAnyEnum, isComposite, Kind } from "../kinds.js";
import { type CoreBtf, essentialNameLength, kindsCoreCompatible, skipModsAndTypedefs } from "./btf-view.js";
import { CoreFailure } from "./errors.js";

/** Recursion budget libbpf gives both walks. */
const MAX_LEVEL = 32;

function skipOrFail(btf: CoreBtf, id: number): number {
  const resolved = skipModsAndTypedefs(btf, id);
  if (resolved < 0) throw new CoreFailure("BAD_BTF", `type [${id}] references a type out of range`);
  return resolved;
}

function tooDeep(): never {
  throw new CoreFailure("BAD_BTF", "type graph nests deeper than 32 levels");
}

/** Same essential name (flavor suffix ignored). */
function sameEssentialName(a: string, b: string): boolean {
  const lengthA = essentialNameLength(a);
  return lengthA === essentialNameLength(b) && a.slice(0, lengthA) === b.slice(0, lengthA);
}

export function typesAreCompatible(
  local: CoreBtf,
  localId: number,
  target: CoreBtf,
  targetId: number,
  level = MAX_LEVEL,
): boolean {
  if (!kindsCoreCompatible(local.kind(localId), target.kind(targetId))) return false;
  for (let depth = 32; ; ) {
    if (--depth < 0) tooDeep();
    localId = skipOrFail(local, localId);
    targetId = skipOrFail(target, targetId);
    const localKind = local.kind(localId);
    if (!kindsCoreCompatible(localKind, target.kind(targetId))) return false;
    switch (localKind) {
      case Kind.UNKN:
      case Kind.STRUCT:
      case Kind.UNION:
      case Kind.ENUM:
      case Kind.FWD:
      case Kind.ENUM64:
        return true;
      case Kind.INT:
        // Bitfield-like ints (non-zero int offset) are deprecated and refused; any other ints are compatible.
        return local.intOffset(localId) === 0 && target.intOffset(targetId) === 0;
      case Kind.PTR:
        localId = local.refType(localId);
        targetId = target.refType(targetId);
        continue;
      case Kind.ARRAY:
        localId = local.arrayElemType(localId);
        targetId = target.arrayElemType(targetId);
        continue;
      case Kind.FUNC_PROTO: {
        const count = local.vlen(localId);
        if (count !== target.vlen(targetId)) return false;
        for (let i = 0; i < count; i++) {
          if (level <= 0) tooDeep();
          const localParam = skipOrFail(local, local.paramType(localId, i));
          const targetParam = skipOrFail(target, target.paramType(targetId, i));
          if (!typesAreCompatible(local, localParam, target, targetParam, level - 1)) return false;
        }
        localId = skipOrFail(local, local.refType(localId));
        targetId = skipOrFail(target, target.refType(targetId));
        continue;
      }
      default:
        return false;
    }
  }
}

export function fieldsAreCompatible(local: CoreBtf, localId: number, target: CoreBtf, targetId: number): boolean {
  for (let guard = 0; ; guard++) {
    if (guard > local.typeCount + 1) tooDeep();
    localId = skipOrFail(local, localId);
    targetId = skipOrFail(target, targetId);
    const localKind = local.kind(localId);
    const targetKind = target.kind(targetId);
    if (isComposite(localKind) && isComposite(targetKind)) return true;
    if (!kindsCoreCompatible(localKind, targetKind)) return false;
    switch (localKind) {
      case Kind.PTR:
      case Kind.FLOAT:
        return true;
      case Kind.FWD:
      case Kind.ENUM:
      case Kind.ENUM64: {
        const localName = local.nameOf(localId);
        const targetName = target.nameOf(targetId);
        const localLength = essentialNameLength(localName);
        const targetLength = essentialNameLength(targetName);
        return (
          localLength === 0 ||
          targetLength === 0 ||
          (localLength === targetLength && localName.slice(0, localLength) === targetName.slice(0, localLength))
        );
      }
      case Kind.INT:
        return local.intOffset(localId) === 0 && target.intOffset(targetId) === 0;
      case Kind.ARRAY:
        localId = local.arrayElemType(localId);
        targetId = target.arrayElemType(targetId);
        continue;
      default:
        return false;
    }
  }
}

/** libbpf's bpf_core_names_match: an anonymous target matches only an anonymous local. */
function namesMatch(localName: string, targetName: string): boolean {
  if (targetName === "") return localName === "";
  return sameEssentialName(localName, targetName);
}

function enumsMatch(local: CoreBtf, localId: number, target: CoreBtf, targetId: number): boolean {
  if (local.sizeField(localId) !== target.sizeField(targetId)) return false;
  const localCount = local.vlen(localId);
  const targetCount = target.vlen(targetId);
  if (localCount > targetCount) return false;
  for (let i = 0; i < localCount; i++) {
    const name = local.enumValueName(localId, i);
    let found = false;
    for (let j = 0; j < targetCount && !found; j++) found = namesMatch(name, target.enumValueName(targetId, j));
    if (!found) return false;
  }
  return true;
}

function compositesMatch(
  local: CoreBtf,
  localId: number,
  target: CoreBtf,
  targetId: number,
  behindPointer: boolean,
  level: number,
): boolean {
  const localCount = local.vlen(localId);
  const targetCount = target.vlen(targetId);
  if (localCount > targetCount) return false;
  for (let i = 0; i < localCount; i++) {
    const name = local.memberName(localId, i);
    let found = false;
    for (let j = 0; j < targetCount && !found; j++) {
      if (!namesMatch(name, target.memberName(targetId, j))) continue;
      found = typesMatch(
        local,
        local.memberType(localId, i),
        target,
        target.memberType(targetId, j),
        behindPointer,
        level - 1,
      );
    }
    if (!found) return false;
  }
  return true;
}

export function typesMatch(
  local: CoreBtf,
  localId: number,
  target: CoreBtf,
  targetId: number,
  behindPointer = false,
  level = MAX_LEVEL,
): boolean {
  if (level <= 0) tooDeep();
  for (let depth = 32; ; ) {
    if (--depth < 0) tooDeep();
    localId = skipOrFail(local, localId);
    targetId = skipOrFail(target, targetId);
    if (!namesMatch(local.nameOf(localId), target.nameOf(targetId))) return false;
    const localKind = local.kind(localId);
    const targetKind = target.kind(targetId);
    switch (localKind) {
      case Kind.UNKN:
        return targetKind === Kind.UNKN;
      case Kind.FWD: {
        const localUnion = local.kindFlag(localId);
        if (behindPointer) {
          if (targetKind === Kind.FWD) return localUnion === target.kindFlag(targetId);
          // A forward declaration's kind_flag says union (1) or struct (0).
          return (targetKind === Kind.STRUCT && !localUnion) || (targetKind === Kind.UNION && localUnion);
        }
        return targetKind === Kind.FWD && localUnion === target.kindFlag(targetId);
      }
      case Kind.ENUM:
      case Kind.ENUM64:
        return isAnyEnum(targetKind) && enumsMatch(local, localId, target, targetId);
      case Kind.STRUCT:
      case Kind.UNION:
        if (behindPointer) {
          if (localKind === targetKind) return true;
          if (targetKind !== Kind.FWD) return false;
          return (localKind === Kind.UNION) === target.kindFlag(targetId);
        }
        return localKind === targetKind && compositesMatch(local, localId, target, targetId, behindPointer, level);
      case Kind.INT:
        return (
          targetKind === Kind.INT &&
          local.sizeField(localId) === target.sizeField(targetId) &&
          (local.intEncoding(localId) & IntEncoding.SIGNED) === (target.intEncoding(targetId) & IntEncoding.SIGNED)
        );
      case Kind.PTR:
        if (targetKind !== Kind.PTR) return false;
        behindPointer = true;
        localId = local.refType(localId);
        targetId = target.refType(targetId);
        continue;
      case Kind.ARRAY:
        if (targetKind !== Kind.ARRAY || local.arrayLength(localId) !== target.arrayLength(targetId)) return false;
        localId = local.arrayElemType(localId);
        targetId = target.arrayElemType(targetId);
        continue;
      case Kind.FUNC_PROTO: {
        if (targetKind !== Kind.FUNC_PROTO) return false;
        const count = local.vlen(localId);
        if (count !== target.vlen(targetId)) return false;
        for (let i = 0; i < count; i++) {
          const ok = typesMatch(
            local,
            local.paramType(localId, i),
            target,
            target.paramType(targetId, i),
            behindPointer,
            level - 1,
          );
          if (!ok) return false;
        }
        localId = local.refType(localId);
        targetId = target.refType(targetId);
        continue;
      }
      default:
        return false;
    }
  }
}
