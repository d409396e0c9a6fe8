// The text of `bpftool -j btf dump file F`: {"types":[...]} in bpftool's compact JSON, keys in the order its
// dump_btf_type emits them, strings escaped the way its json_writer does (including its quirks: a backslash is
// written as "\n" and a single quote as "\'").

import type { Btf } from "./btf.js";
import { ChunkWriter, collect } from "./chunks.js";
import { bpftoolName, funcLinkageName, intEncodingName, kindName, varLinkageName } from "./dump-raw.js";
import { Kind } from "./kinds.js";

const NEEDS_ESCAPE = /[\t\n\r\f\b\\"']/;

/** A JSON string literal as bpftool's jsonw_puts writes it. */
export function bpftoolJsonString(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return `"${text}"`;
  let s = '"';
  for (const ch of text) {
    switch (ch) {
      case "\t":
        s += "\\t";
        break;
      case "\n":
        s += "\\n";
        break;
      case "\r":
        s += "\\r";
        break;
      case "\f":
        s += "\\f";
        break;
      case "\b":
        s += "\\b";
        break;
      case "\\":
        s += "\\n";
        break;
      case '"':
        s += '\\"';
        break;
      case "'":
        s += "\\'";
        break;
      default:
        s += ch;
    }
  }
  return `${s}"`;
}

export function dumpBtfJson(btf: Btf): string {
  return collect((out) => writeJson(btf, out));
}

export function dumpBtfJsonTo(btf: Btf, write: (chunk: string) => void): void {
  const out = new ChunkWriter(write);
  writeJson(btf, out);
  out.flush();
}

function writeJson(btf: Btf, out: ChunkWriter): void {
  out.push('{"types":[');
  for (let id = btf.firstOwnId; id < btf.typeCount; id++) {
    out.push(id === btf.firstOwnId ? jsonType(btf, id) : `,${jsonType(btf, id)}`);
  }
  out.push("]}\n");
}

function name(btf: Btf, offset: number): string {
  return bpftoolJsonString(bpftoolName(btf, offset));
}

/** One type as a JSON object. */
export function jsonType(btf: Btf, id: number): string {
  const kind = btf.kind(id);
  let s = `{"id":${id},"kind":"${kindName(kind)}","name":${name(btf, btf.nameOff(id))}`;
  switch (kind) {
    case Kind.INT:
      s += `,"size":${btf.sizeOf(id)},"bits_offset":${btf.intOffset(id)},"nr_bits":${btf.intBits(id)},"encoding":"${intEncodingName(btf.intEncoding(id))}"`;
      break;
    case Kind.PTR:
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.TYPEDEF:
    case Kind.TYPE_TAG:
      s += `,"type_id":${btf.typeIdOf(id)}`;
      break;
    case Kind.ARRAY:
      s += `,"type_id":${btf.arrayElemType(id)},"index_type_id":${btf.arrayIndexType(id)},"nr_elems":${btf.arrayLength(id)}`;
      break;
    case Kind.STRUCT:
    case Kind.UNION: {
      const vlen = btf.vlen(id);
      s += `,"size":${btf.sizeOf(id)},"vlen":${vlen},"members":[`;
      for (let i = 0; i < vlen; i++) {
        if (i > 0) s += ",";
        s += `{"name":${name(btf, btf.memberNameOff(id, i))},"type_id":${btf.memberType(id, i)},"bits_offset":${btf.memberBitOffset(id, i)}`;
        const bits = btf.memberBitfieldSize(id, i);
        s += bits !== 0 ? `,"bitfield_size":${bits}}` : "}";
      }
      s += "]";
      break;
    }
    case Kind.ENUM:
    case Kind.ENUM64: {
      const vlen = btf.vlen(id);
      s += `,"encoding":"${btf.kindFlag(id) ? "SIGNED" : "UNSIGNED"}","size":${btf.sizeOf(id)},"vlen":${vlen},"values":[`;
      for (let i = 0; i < vlen; i++) {
        if (i > 0) s += ",";
        s += `{"name":${name(btf, btf.enumValueNameOff(id, i))},"val":${jsonEnumValue(btf, id, i, kind)}}`;
      }
      s += "]";
      break;
    }
    case Kind.FWD:
      s += `,"fwd_kind":"${btf.kindFlag(id) ? "union" : "struct"}"`;
      break;
    case Kind.FUNC:
      s += `,"type_id":${btf.typeIdOf(id)},"linkage":"${funcLinkageName(btf.vlen(id))}"`;
      break;
    case Kind.FUNC_PROTO: {
      const vlen = btf.vlen(id);
      s += `,"ret_type_id":${btf.typeIdOf(id)},"vlen":${vlen},"params":[`;
      for (let i = 0; i < vlen; i++) {
        if (i > 0) s += ",";
        s += `{"name":${name(btf, btf.paramNameOff(id, i))},"type_id":${btf.paramType(id, i)}}`;
      }
      s += "]";
      break;
    }
    case Kind.VAR:
      s += `,"type_id":${btf.typeIdOf(id)},"linkage":"${varLinkageName(btf.linkage(id))}"`;
      break;
    case Kind.DATASEC: {
      const vlen = btf.vlen(id);
      s += `,"size":${btf.sizeOf(id)},"vlen":${vlen},"vars":[`;
      for (let i = 0; i < vlen; i++) {
        if (i > 0) s += ",";
        s += `{"type_id":${btf.datasecVarType(id, i)},"offset":${btf.datasecVarOffset(id, i)},"size":${btf.datasecVarSize(id, i)}}`;
      }
      s += "]";
      break;
    }
    case Kind.FLOAT:
      s += `,"size":${btf.sizeOf(id)}`;
      break;
    case Kind.DECL_TAG:
      s += `,"type_id":${btf.typeIdOf(id)},"component_idx":${btf.declTagComponentIdx(id)}`;
      break;
  }
  return `${s}}`;
}

/**
 * bpftool 7.1 prints an unsigned 32-bit enum value through a signed 32-bit field widened to u64, so values
 * with the top bit set come out sign-extended (0xefffffff -> 18446744073441116159). Reproduce that.
 */
function jsonEnumValue(btf: Btf, id: number, index: number, kind: number): string {
  if (kind === Kind.ENUM64 || btf.kindFlag(id)) return String(btf.enumValueSigned(id, index));
  return String(BigInt.asUintN(64, btf.enumValue(id, index)));
}
