// Matching a local spec against one candidate target type (libbpf's bpf_core_spec_match): builds the target
// spec (accessors, raw indices, bit offset) while checking names, bounds and compatibility. Returns true for a
// match, false for "not this candidate"; malformed BTF throws CoreFailure.

import { isAnyEnum, isComposite, Kind } from "../kinds.js";
import { type CoreBtf, essentialNameLength, resolveSize, skipModsAndTypedefs } from "./btf-view.js";
import { fieldsAreCompatible, typesAreCompatible, typesMatch } from "./compat.js";
import { CoreFailure } from "./errors.js";
import { CoreReloKind, isEnumvalBased, isFieldBased, isTypeBased } from "./relo-kinds.js";
import { CORE_SPEC_MAX_LEN, type CoreAccessor, type CoreSpec, emptySpec, isFlexibleArray } from "./spec.js";

function skipOrFail(btf: CoreBtf, id: number): number {
  const resolved = skipModsAndTypedefs(btf, id);
  if (resolved < 0) throw new CoreFailure("BAD_BTF", `type [${id}] references a type out of range`);
  return resolved;
}

function tooDeep(): never {
  throw new CoreFailure("OUT_OF_RANGE", `struct/union/array nesting deeper than ${CORE_SPEC_MAX_LEN} levels`);
}

interface MemberHit {
  readonly nextTargetId: number;
}

/**
 * Finds the local named member `localAccessor` in target composite `targetId`, descending into anonymous
 * members depth-first. Raw indices and bit offset are pushed speculatively and popped on a miss, as libbpf does;
 * a name hit with incompatible types pops the accessor but keeps the raw index (visible in the trace).
 */
function matchMember(
  local: CoreBtf,
  localAccessor: CoreAccessor,
  target: CoreBtf,
  targetId: number,
  spec: CoreSpec,
): MemberHit | false {
  targetId = skipOrFail(target, targetId);
  if (!isComposite(target.kind(targetId))) return false;
  const localMemberType = local.memberType(localAccessor.typeId, localAccessor.index);
  const localNameOff = local.memberNameOff(localAccessor.typeId, localAccessor.index);
  const count = target.vlen(targetId);
  // Names are compared as bytes in place (libbpf's strcmp): a kernel struct has dozens of members, and decoding
  // each one's name to compare it was a fifth of the CO-RE phase.
  for (let i = 0; i < count; i++) {
    const bitOffset = target.memberBitOffset(targetId, i);
    if (spec.raw.length === CORE_SPEC_MAX_LEN) tooDeep();
    spec.bitOffset = (spec.bitOffset + bitOffset) >>> 0;
    spec.raw.push(i);
    const targetNameOff = target.memberNameOff(targetId, i);
    const memberType = target.memberType(targetId, i);
    if (target.strings.isEmpty(targetNameOff)) {
      const hit = matchMember(local, localAccessor, target, memberType, spec);
      if (hit) return hit;
    } else if (local.strings.sameAs(localNameOff, target.strings, targetNameOff)) {
      spec.accessors.push({ typeId: targetId, index: i, name: target.memberName(targetId, i) });
      if (fieldsAreCompatible(local, localMemberType, target, memberType)) return { nextTargetId: memberType };
      spec.accessors.pop();
      return false;
    }
    spec.bitOffset = (spec.bitOffset - bitOffset) >>> 0;
    spec.raw.pop();
  }
  return false;
}

/** Matches `localSpec` against candidate `targetId`; `out` receives the (possibly partial) target spec. */
export function matchSpec(
  localSpec: CoreSpec,
  target: CoreBtf,
  targetId: number,
): { matched: boolean; spec: CoreSpec } {
  const spec = emptySpec(target, targetId, localSpec.kind);
  const local = localSpec.btf;

  if (isTypeBased(localSpec.kind)) {
    const matched =
      localSpec.kind === CoreReloKind.TYPE_MATCHES
        ? typesMatch(local, localSpec.rootTypeId, target, targetId)
        : typesAreCompatible(local, localSpec.rootTypeId, target, targetId);
    return { matched, spec };
  }

  if (isEnumvalBased(localSpec.kind)) {
    const enumId = skipOrFail(target, targetId);
    if (!isAnyEnum(target.kind(enumId))) return { matched: false, spec };
    const localName = localSpec.accessors[0]!.name ?? "";
    const localLength = essentialNameLength(localName);
    const count = target.vlen(enumId);
    for (let i = 0; i < count; i++) {
      const name = target.enumValueName(enumId, i);
      if (essentialNameLength(name) !== localLength) continue;
      if (name.slice(0, localLength) === localName.slice(0, localLength)) {
        spec.accessors.push({ typeId: enumId, index: i, name });
        spec.raw.push(i);
        return { matched: true, spec };
      }
    }
    return { matched: false, spec };
  }

  if (!isFieldBased(localSpec.kind)) throw new CoreFailure("UNSUPPORTED", `unknown relocation kind ${localSpec.kind}`);

  let currentId = targetId;
  for (let i = 0; i < localSpec.accessors.length; i++) {
    const localAccessor = localSpec.accessors[i]!;
    currentId = skipOrFail(target, currentId);
    if (localAccessor.name !== undefined) {
      const hit = matchMember(local, localAccessor, target, currentId, spec);
      if (!hit) return { matched: false, spec };
      currentId = hit.nextTargetId;
      continue;
    }
    // The first accessor indexes the root type itself (`&p[0]`); later ones index an array member.
    if (i > 0) {
      if (target.kind(currentId) !== Kind.ARRAY) return { matched: false, spec };
      const length = target.arrayLength(currentId);
      const flexible = isFlexibleArray(target, spec.accessors[i - 1], length);
      if (!flexible && localAccessor.index >= length) return { matched: false, spec };
      currentId = skipOrFail(target, target.arrayElemType(currentId));
    }
    if (spec.raw.length === CORE_SPEC_MAX_LEN) tooDeep();
    spec.accessors.push({ typeId: currentId, index: localAccessor.index, name: undefined });
    spec.raw.push(localAccessor.index);
    const size = resolveSize(target, currentId);
    if (size < 0) throw new CoreFailure("BAD_BTF", `cannot size target type [${currentId}]`);
    spec.bitOffset = (spec.bitOffset + localAccessor.index * size * 8) >>> 0;
  }
  return { matched: true, spec };
}
