// From a local spec and a matched target spec (or none) to the values a relocation patches in: libbpf's
// bpf_core_calc_relo and its field/type/enumval helpers. Values are unsigned 64-bit (bigint) as in libbpf, so
// validation against instruction immediates compares exactly what libbpf compares.

import { IntEncoding, isAnyEnum, Kind } from "../kinds.js";
import { type CoreBtf, resolveSize, skipModsAndTypedefs } from "./btf-view.js";
import { CoreFailure } from "./errors.js";
import { CoreReloKind, isEnumvalBased, isFieldBased, isTypeBased } from "./relo-kinds.js";
import type { CoreSpec } from "./spec.js";

/** What a relocation does to its instruction (libbpf's struct bpf_core_relo_res). */
export interface CoreReloResult {
  /** Value the instruction is expected to hold now (checked when `validate`). */
  readonly origVal: bigint;
  /** Value to patch in. */
  readonly newVal: bigint;
  /** Relocation cannot be satisfied: the instruction becomes the invalid call (or stays valid if dead code). */
  readonly poison: boolean;
  readonly validate: boolean;
  /** Memory access size would change in a way that is unsafe (signed ints, mixed kinds): poison LDX/ST/STX. */
  readonly failMemSizeAdjust: boolean;
  /** Field sizes for load/store size adjustment (0 when not a plain field offset). */
  readonly origSize: number;
  readonly origTypeId: number;
  readonly newSize: number;
  readonly newTypeId: number;
}

/** Marker libbpf signals with -EUCLEAN: poison the instruction rather than fail. */
const POISON_REQUEST: unique symbol = Symbol("poison request");
type PoisonRequest = typeof POISON_REQUEST;

interface FieldValue {
  value: bigint;
  fieldSize: number;
  typeId: number;
  validate: boolean;
}

function fieldValue(kind: number, spec: CoreSpec | undefined, where: string): FieldValue | PoisonRequest {
  if (kind === CoreReloKind.FIELD_EXISTS) return { value: spec ? 1n : 0n, fieldSize: 0, typeId: 0, validate: true };
  if (!spec) return POISON_REQUEST;
  const { btf } = spec;
  const last = spec.accessors[spec.accessors.length - 1]!;

  if (last.name === undefined) {
    // Array element (or root pointer) access: only offset and size make sense.
    const size = resolveSize(btf, last.typeId);
    if (size < 0) throw new CoreFailure("BAD_BTF", `cannot size [${last.typeId}]`);
    if (kind === CoreReloKind.FIELD_BYTE_OFFSET) {
      return { value: BigInt(Math.floor(spec.bitOffset / 8)), fieldSize: size, typeId: last.typeId, validate: true };
    }
    if (kind === CoreReloKind.FIELD_BYTE_SIZE) return { value: BigInt(size), fieldSize: 0, typeId: 0, validate: true };
    throw new CoreFailure("UNSUPPORTED", `relo ${kind} at ${where} can't be applied to array access`);
  }

  const memberTypeId = skipModsAndTypedefs(btf, btf.memberType(last.typeId, last.index));
  if (memberTypeId < 0) throw new CoreFailure("BAD_BTF", `member type of [${last.typeId}] out of range`);
  const bitOffset = spec.bitOffset;
  let bitSize = btf.memberBitfieldSize(last.typeId, last.index);
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOffset: number;
  if (bitfield) {
    // Smallest naturally aligned power-of-two load that covers all bits of the bitfield.
    byteSize = btf.sizeField(memberTypeId);
    if (byteSize <= 0) throw new CoreFailure("BAD_BTF", `bitfield type [${memberTypeId}] has no size`);
    byteOffset = Math.floor(bitOffset / 8 / byteSize) * byteSize;
    while (bitOffset + bitSize - byteOffset * 8 > byteSize * 8) {
      if (byteSize >= 8)
        throw new CoreFailure("OUT_OF_RANGE", `relo ${kind} at ${where} can't be satisfied for bitfield`);
      byteSize *= 2;
      byteOffset = Math.floor(bitOffset / 8 / byteSize) * byteSize;
    }
  } else {
    const size = resolveSize(btf, memberTypeId);
    if (size < 0) throw new CoreFailure("BAD_BTF", `cannot size field type [${memberTypeId}]`);
    byteSize = size;
    byteOffset = Math.floor(bitOffset / 8);
    bitSize = byteSize * 8;
  }
  // Bitfield offsets/sizes may legitimately differ from what the compiler emitted; signedness and right shift may not.
  let validate = !bitfield;
  let value: bigint;
  let fieldSize = 0;
  let typeId = 0;
  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      value = BigInt(byteOffset);
      if (!bitfield) {
        fieldSize = byteSize;
        typeId = memberTypeId;
      }
      break;
    case CoreReloKind.FIELD_BYTE_SIZE:
      value = BigInt(byteSize);
      break;
    case CoreReloKind.FIELD_SIGNED: {
      const memberKind = btf.kind(memberTypeId);
      const signed =
        (isAnyEnum(memberKind) && btf.kindFlag(memberTypeId)) ||
        (memberKind === Kind.INT && (btf.intEncoding(memberTypeId) & IntEncoding.SIGNED) !== 0);
      value = signed ? 1n : 0n;
      validate = true;
      break;
    }
    case CoreReloKind.FIELD_LSHIFT_U64:
      // BPF programs here are little-endian; the big-endian formula would be (8 - size) * 8 + (bit_off - byte_off * 8).
      value = BigInt(64 - (bitOffset + bitSize - byteOffset * 8));
      break;
    case CoreReloKind.FIELD_RSHIFT_U64:
      value = BigInt(64 - bitSize);
      validate = true;
      break;
    default:
      throw new CoreFailure("UNSUPPORTED", `unrecognized CO-RE relocation kind ${kind}`);
  }
  return { value: BigInt.asUintN(64, value), fieldSize, typeId, validate };
}

function typeValue(kind: number, spec: CoreSpec | undefined): { value: bigint; validate: boolean } {
  if (!spec) return { value: 0n, validate: true };
  switch (kind) {
    case CoreReloKind.TYPE_ID_TARGET:
      // Type ids in instructions may be renumbered by static linking: never validated.
      return { value: BigInt(spec.rootTypeId), validate: false };
    case CoreReloKind.TYPE_EXISTS:
    case CoreReloKind.TYPE_MATCHES:
      return { value: 1n, validate: true };
    case CoreReloKind.TYPE_SIZE: {
      const size = resolveSize(spec.btf, spec.rootTypeId);
      if (size < 0) throw new CoreFailure("BAD_BTF", `cannot size [${spec.rootTypeId}]`);
      return { value: BigInt(size), validate: true };
    }
    default:
      throw new CoreFailure("UNSUPPORTED", `unrecognized CO-RE relocation kind ${kind}`);
  }
}

function enumValue(kind: number, spec: CoreSpec | undefined): bigint | PoisonRequest {
  if (kind === CoreReloKind.ENUMVAL_EXISTS) return spec ? 1n : 0n;
  if (kind !== CoreReloKind.ENUMVAL_VALUE) throw new CoreFailure("UNSUPPORTED", `unrecognized kind ${kind}`);
  if (!spec) return POISON_REQUEST;
  const accessor = spec.accessors[0]!;
  // ENUM values are signed 32-bit in BTF and sign-extend to 64 bits, exactly like libbpf's __s32 -> __u64.
  return BigInt.asUintN(64, spec.btf.enumValue(accessor.typeId, accessor.index));
}

function memoryAdjustIsSafe(local: CoreBtf, origTypeId: number, target: CoreBtf, newTypeId: number): boolean {
  const origKind = local.kind(origTypeId);
  const newKind = target.kind(newTypeId);
  // Pointers (32-bit kernels) and unsigned ints zero-extend correctly when the load size changes.
  if (origKind === Kind.PTR && newKind === Kind.PTR) return true;
  return (
    origKind === Kind.INT &&
    newKind === Kind.INT &&
    local.intEncoding(origTypeId) !== IntEncoding.SIGNED &&
    target.intEncoding(newTypeId) !== IntEncoding.SIGNED
  );
}

const POISONED: CoreReloResult = {
  origVal: 0n,
  newVal: 0n,
  poison: true,
  validate: true,
  failMemSizeAdjust: false,
  origSize: 0,
  origTypeId: 0,
  newSize: 0,
  newTypeId: 0,
};

/**
 * Computes the relocation result for one candidate (`target` set) or for "no candidate matched" (`target`
 * undefined). `where` names the instruction for error text.
 */
export function computeRelocation(
  kind: number,
  local: CoreSpec,
  target: CoreSpec | undefined,
  where: string,
): CoreReloResult {
  if (isFieldBased(kind)) {
    const orig = fieldValue(kind, local, where);
    if (orig === POISON_REQUEST) return POISONED;
    const next = fieldValue(kind, target, where);
    if (next === POISON_REQUEST) return { ...POISONED, origVal: orig.value, origSize: orig.fieldSize };
    let failMemSizeAdjust = false;
    if (orig.fieldSize !== next.fieldSize && target) {
      failMemSizeAdjust = !memoryAdjustIsSafe(local.btf, orig.typeId, target.btf, next.typeId);
    }
    return {
      origVal: orig.value,
      newVal: next.value,
      poison: false,
      validate: orig.validate,
      failMemSizeAdjust,
      origSize: orig.fieldSize,
      origTypeId: orig.typeId,
      newSize: next.fieldSize,
      newTypeId: next.typeId,
    };
  }
  if (isTypeBased(kind)) {
    const orig = typeValue(kind, local);
    const next = typeValue(kind, target);
    return { ...POISONED, poison: false, origVal: orig.value, newVal: next.value, validate: orig.validate };
  }
  if (isEnumvalBased(kind)) {
    const orig = enumValue(kind, local);
    if (orig === POISON_REQUEST) return POISONED;
    const next = enumValue(kind, target);
    if (next === POISON_REQUEST) return { ...POISONED, origVal: orig };
    return { ...POISONED, poison: false, origVal: orig, newVal: next };
  }
  throw new CoreFailure("UNSUPPORTED", `unrecognized CO-RE relocation kind ${kind}`);
}
