// Builds the object form of one type from the accessors of a Btf. Kept apart from the class so the class stays
// about indexing; this is the only place that knows how each kind maps onto the model in types.ts.

import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { Kind } from "./kinds.js";
import type { BtfType, Member, Param, VarSecinfo } from "./types.js";

export function decodeType(btf: Btf, id: number): BtfType {
  const kind = btf.kind(id);
  const nameOff = btf.nameOff(id);
  const name = btf.stringAt(nameOff) ?? "";
  const vlen = btf.vlen(id);
  switch (kind) {
    case Kind.INT:
      return {
        kind,
        name,
        nameOff,
        size: btf.sizeOf(id),
        encoding: btf.intEncoding(id),
        bitOffset: btf.intOffset(id),
        bits: btf.intBits(id),
      };
    case Kind.PTR:
      return { kind, name, nameOff, type: btf.typeIdOf(id) };
    case Kind.ARRAY:
      return {
        kind,
        name,
        nameOff,
        type: btf.arrayElemType(id),
        indexType: btf.arrayIndexType(id),
        nelems: btf.arrayLength(id),
      };
    case Kind.STRUCT:
    case Kind.UNION: {
      const members: Member[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const off = btf.memberNameOff(id, i);
        members[i] = {
          name: btf.stringAt(off) ?? "",
          nameOff: off,
          type: btf.memberType(id, i),
          bitOffset: btf.memberBitOffset(id, i),
          bitfieldSize: btf.memberBitfieldSize(id, i),
        };
      }
      return { kind, name, nameOff, size: btf.sizeOf(id), kindFlag: btf.kindFlag(id), members };
    }
    case Kind.ENUM: {
      const signed = btf.kindFlag(id);
      const values = [];
      for (let i = 0; i < vlen; i++) {
        const off = btf.enumValueNameOff(id, i);
        values.push({ name: btf.stringAt(off) ?? "", nameOff: off, value: Number(btf.enumValueSigned(id, i)) });
      }
      return { kind, name, nameOff, size: btf.sizeOf(id), signed, values };
    }
    case Kind.ENUM64: {
      const signed = btf.kindFlag(id);
      const values = [];
      for (let i = 0; i < vlen; i++) {
        const off = btf.enumValueNameOff(id, i);
        values.push({ name: btf.stringAt(off) ?? "", nameOff: off, value: btf.enumValueSigned(id, i) });
      }
      return { kind, name, nameOff, size: btf.sizeOf(id), signed, values };
    }
    case Kind.FWD:
      return { kind, name, nameOff, union: btf.kindFlag(id) };
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
      return { kind, name, nameOff, type: btf.typeIdOf(id) };
    case Kind.TYPE_TAG:
      return { kind, name, nameOff, type: btf.typeIdOf(id), kindFlag: btf.kindFlag(id) };
    case Kind.FUNC:
      return { kind, name, nameOff, type: btf.typeIdOf(id), linkage: vlen };
    case Kind.FUNC_PROTO: {
      const params: Param[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const off = btf.paramNameOff(id, i);
        params[i] = { name: btf.stringAt(off) ?? "", nameOff: off, type: btf.paramType(id, i) };
      }
      return { kind, name, nameOff, type: btf.typeIdOf(id), params };
    }
    case Kind.VAR:
      return { kind, name, nameOff, type: btf.typeIdOf(id), linkage: btf.linkage(id) };
    case Kind.DATASEC: {
      const vars: VarSecinfo[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        vars[i] = {
          type: btf.datasecVarType(id, i),
          offset: btf.datasecVarOffset(id, i),
          size: btf.datasecVarSize(id, i),
        };
      }
      return { kind, name, nameOff, size: btf.sizeOf(id), vars };
    }
    case Kind.FLOAT:
      return { kind, name, nameOff, size: btf.sizeOf(id) };
    case Kind.DECL_TAG:
      return {
        kind,
        name,
        nameOff,
        type: btf.typeIdOf(id),
        componentIdx: btf.declTagComponentIdx(id),
        kindFlag: btf.kindFlag(id),
      };
    default:
      // Unreachable: scanTypes rejects unknown kinds before a Btf exists.
      throw new BtfError("UNKNOWN_KIND", `unknown BTF kind ${kind}`, { typeId: id });
  }
}
