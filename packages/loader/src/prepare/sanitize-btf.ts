// BTF sanitization: rewrite the object's BTF so a kernel that lacks newer BTF kinds still accepts it, the way
// libbpf 1.1 does before BPF_BTF_LOAD (bpf_object__sanitize_btf). Every rewrite keeps the type in place (same id,
// and for all but the name changes the same record size), so .BTF.ext func/line info, CO-RE records and the
// key/value type ids of maps still point at the same ids. The only new type is ENUM64's INT placeholder, which
// is appended after the existing ones. Pure: bytes or a parsed Btf in, new bytes out; the input is not touched.

import {
  Btf,
  BtfBuilder,
  type BtfType,
  type CompositeType,
  type EnumType,
  type IntType,
  Kind,
  Linkage,
  type RefType,
} from "@bpfkit/btf";
import type { Features } from "../backend.js";

/** The BTF-related kernel features sanitization looks at (a `Features` object satisfies it). */
export interface BtfSanitizeFeatures {
  readonly btfFunc: boolean;
  readonly btfGlobalFunc: boolean;
  readonly btfDatasec: boolean;
  readonly btfFloat: boolean;
  readonly btfDeclTag: boolean;
  readonly btfTypeTag: boolean;
  readonly btfEnum64: boolean;
  /** DATASEC names starting with `?` (libbpf after 1.1 renames them otherwise); absent = supported. */
  readonly btfQmarkDatasec?: boolean;
}

/** Name of the INT type ENUM64 values are turned into union members of (libbpf's name, so dumps match). */
export const ENUM64_PLACEHOLDER_NAME = "enum64_placeholder";

// Compile-time check that the kernel backend's Features can be passed straight in.
const _featuresFit: (f: Features) => BtfSanitizeFeatures = (f) => f;
void _featuresFit;

/** True when at least one rewrite applies, i.e. the object BTF cannot go to this kernel as is. */
export function btfNeedsSanitization(features: BtfSanitizeFeatures): boolean {
  return (
    !features.btfFunc ||
    !features.btfGlobalFunc ||
    !features.btfDatasec ||
    !features.btfFloat ||
    !features.btfDeclTag ||
    !features.btfTypeTag ||
    !features.btfEnum64 ||
    features.btfQmarkDatasec === false
  );
}

/** An INT the kernel accepts for any VAR/DECL_TAG: one byte (larger could exceed a small variable's slot). */
function byteInt(name: string, nameOff: number | undefined): IntType {
  return { kind: Kind.INT, name, nameOff, size: 1, encoding: 0, bitOffset: 0, bits: 8 };
}

/**
 * Rewrites the kinds the kernel lacks (libbpf 1.1 rules, first matching rule wins per type):
 * - no DATASEC support: VAR → 1-byte INT (same name); DATASEC → STRUCT of the same size whose members are the
 *   section's variables (VAR name, VAR type id, byte offset × 8), with `.` and `?` in its name turned into `_`;
 * - no DECL_TAG: DECL_TAG → 1-byte INT (same name);
 * - no FUNC: FUNC_PROTO → 4-byte ENUM whose values are the parameters (name, value = parameter type id);
 *   FUNC → TYPEDEF of its prototype;
 * - no global FUNC (but FUNC): every FUNC becomes static;
 * - no FLOAT: FLOAT → anonymous empty STRUCT of the same size;
 * - no TYPE_TAG: TYPE_TAG → anonymous CONST of the same type;
 * - no ENUM64: ENUM loses its signedness flag; ENUM64 → UNION of the same size, one member per value (same name)
 *   of type `enum64_placeholder` (a 1-byte INT added once, at the end) at offset 0;
 * - DATASEC supported but not `?` names (libbpf after 1.1): a leading `?` of a DATASEC name becomes `_`.
 * Renamed types get a new string appended; existing string offsets (which line info refers to) never move.
 */
export function sanitizeBtf(input: Uint8Array | Btf, features: BtfSanitizeFeatures): Uint8Array {
  const btf = input instanceof Btf ? input : Btf.parse(input); // malformed bytes: Btf.parse's BtfError
  const builder = BtfBuilder.from(btf);
  let enum64Placeholder = 0;
  for (let id = btf.firstOwnId; id < btf.typeCount; id++) {
    const replacement = rewrite(btf, id, features, () => {
      if (enum64Placeholder === 0) enum64Placeholder = builder.addInt(ENUM64_PLACEHOLDER_NAME, 1, 0);
      return enum64Placeholder;
    });
    if (replacement) builder.replace(id, replacement);
  }
  return builder.encode();
}

function rewrite(
  btf: Btf,
  id: number,
  features: BtfSanitizeFeatures,
  enum64Placeholder: () => number,
): BtfType | undefined {
  const kind = btf.kind(id);
  const name = btf.nameOf(id);
  const nameOff = btf.nameOff(id);
  if ((!features.btfDatasec && kind === Kind.VAR) || (!features.btfDeclTag && kind === Kind.DECL_TAG)) {
    return byteInt(name, nameOff);
  }
  if (!features.btfDatasec && kind === Kind.DATASEC) {
    const members = [];
    for (let i = 0; i < btf.vlen(id); i++) {
      const varId = btf.datasecVarType(id, i);
      members.push({
        name: btf.nameOf(varId),
        nameOff: btf.nameOff(varId),
        type: varId,
        // member offsets are u32 bit offsets; an absurd section offset wraps exactly as it would in C
        bitOffset: (btf.datasecVarOffset(id, i) * 8) >>> 0,
        bitfieldSize: 0,
      });
    }
    const struct: CompositeType = {
      kind: Kind.STRUCT,
      name: name.replace(/[.?]/g, "_"),
      size: btf.sizeOf(id),
      kindFlag: false,
      members,
    };
    return struct;
  }
  if (!features.btfFunc && kind === Kind.FUNC_PROTO) {
    const values = [];
    for (let i = 0; i < btf.vlen(id); i++) {
      values.push({ name: btf.paramName(id, i), nameOff: btf.paramNameOff(id, i), value: btf.paramType(id, i) });
    }
    const asEnum: EnumType = { kind: Kind.ENUM, name, nameOff, size: 4, signed: false, values };
    return asEnum;
  }
  if (!features.btfFunc && kind === Kind.FUNC) {
    const typedef: RefType = { kind: Kind.TYPEDEF, name, nameOff, type: btf.typeIdOf(id) };
    return typedef;
  }
  if (!features.btfGlobalFunc && kind === Kind.FUNC) {
    if (btf.linkage(id) === Linkage.STATIC) return undefined;
    return { kind: Kind.FUNC, name, nameOff, type: btf.typeIdOf(id), linkage: Linkage.STATIC };
  }
  if (!features.btfFloat && kind === Kind.FLOAT) {
    return { kind: Kind.STRUCT, name: "", size: btf.sizeOf(id), kindFlag: false, members: [] };
  }
  if (!features.btfTypeTag && kind === Kind.TYPE_TAG) {
    return { kind: Kind.CONST, name: "", type: btf.typeIdOf(id) };
  }
  if (!features.btfEnum64 && kind === Kind.ENUM) {
    if (!btf.kindFlag(id)) return undefined;
    const values = [];
    for (let i = 0; i < btf.vlen(id); i++) {
      // the 32-bit pattern is kept; only its reading as signed goes away
      values.push({
        name: btf.enumValueName(id, i),
        nameOff: btf.enumValueNameOff(id, i),
        value: Number(BigInt.asUintN(32, btf.enumValueSigned(id, i))),
      });
    }
    return { kind: Kind.ENUM, name, nameOff, size: btf.sizeOf(id), signed: false, values };
  }
  if (!features.btfEnum64 && kind === Kind.ENUM64) {
    const placeholder = enum64Placeholder();
    const members = [];
    for (let i = 0; i < btf.vlen(id); i++) {
      members.push({
        name: btf.enumValueName(id, i),
        nameOff: btf.enumValueNameOff(id, i),
        type: placeholder,
        bitOffset: 0,
        bitfieldSize: 0,
      });
    }
    return { kind: Kind.UNION, name, nameOff, size: btf.sizeOf(id), kindFlag: false, members };
  }
  if (features.btfDatasec && features.btfQmarkDatasec === false && kind === Kind.DATASEC && name.startsWith("?")) {
    const vars = [];
    for (let i = 0; i < btf.vlen(id); i++) {
      vars.push({
        type: btf.datasecVarType(id, i),
        offset: btf.datasecVarOffset(id, i),
        size: btf.datasecVarSize(id, i),
      });
    }
    return { kind: Kind.DATASEC, name: `_${name.slice(1)}`, size: btf.sizeOf(id), vars };
  }
  return undefined;
}
