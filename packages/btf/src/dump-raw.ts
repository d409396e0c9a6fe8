// The text of `bpftool btf dump file F` (format raw) for bpftool 7.1 / kernel 6.1: one line per type, then one
// tab-indented line per member, value, parameter or datasec entry. For split BTF only the split's own types are
// listed, as bpftool does.

import type { Btf } from "./btf.js";
import { ChunkWriter, collect } from "./chunks.js";
import { KIND_NAMES, Kind } from "./kinds.js";

const INT_ENCODINGS: Record<number, string> = { 0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL" };
const VAR_LINKAGE = ["static", "global", "extern"];
const FUNC_LINKAGE = ["static", "global", "extern"];

/** bpftool's btf_str: "(anon)" for offset 0, "(invalid)" past the strings. */
export function bpftoolName(btf: Btf, offset: number): string {
  if (offset === 0) return "(anon)";
  return btf.stringAt(offset) ?? "(invalid)";
}

export function intEncodingName(encoding: number): string {
  return INT_ENCODINGS[encoding] ?? "UNKN";
}

export function varLinkageName(linkage: number): string {
  return VAR_LINKAGE[linkage] ?? "(unknown)";
}

export function funcLinkageName(linkage: number): string {
  return FUNC_LINKAGE[linkage] ?? "(unknown)";
}

export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? "UNKNOWN";
}

/** The whole raw dump as one string. */
export function dumpBtfRaw(btf: Btf): string {
  return collect((out) => writeRaw(btf, out));
}

/** The raw dump handed to `write` in chunks of about 64 KiB. */
export function dumpBtfRawTo(btf: Btf, write: (chunk: string) => void): void {
  const out = new ChunkWriter(write);
  writeRaw(btf, out);
  out.flush();
}

function writeRaw(btf: Btf, out: ChunkWriter): void {
  for (let id = btf.firstOwnId; id < btf.typeCount; id++) out.push(rawType(btf, id));
}

/** The lines of one type, newline-terminated. */
export function rawType(btf: Btf, id: number): string {
  const kind = btf.kind(id);
  let s = `[${id}] ${kindName(kind)} '${bpftoolName(btf, btf.nameOff(id))}'`;
  switch (kind) {
    case Kind.INT:
      s += ` size=${btf.sizeOf(id)} bits_offset=${btf.intOffset(id)} nr_bits=${btf.intBits(id)} encoding=${intEncodingName(btf.intEncoding(id))}`;
      break;
    case Kind.PTR:
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.TYPEDEF:
    case Kind.TYPE_TAG:
      s += ` type_id=${btf.typeIdOf(id)}`;
      break;
    case Kind.ARRAY:
      s += ` type_id=${btf.arrayElemType(id)} index_type_id=${btf.arrayIndexType(id)} nr_elems=${btf.arrayLength(id)}`;
      break;
    case Kind.STRUCT:
    case Kind.UNION: {
      const vlen = btf.vlen(id);
      s += ` size=${btf.sizeOf(id)} vlen=${vlen}`;
      for (let i = 0; i < vlen; i++) {
        s += `\n\t'${bpftoolName(btf, btf.memberNameOff(id, i))}' type_id=${btf.memberType(id, i)} bits_offset=${btf.memberBitOffset(id, i)}`;
        const bits = btf.memberBitfieldSize(id, i);
        if (bits !== 0) s += ` bitfield_size=${bits}`;
      }
      break;
    }
    case Kind.ENUM:
    case Kind.ENUM64: {
      const vlen = btf.vlen(id);
      const signed = btf.kindFlag(id);
      const suffix = kind === Kind.ENUM64 ? (signed ? "LL" : "ULL") : "";
      s += ` encoding=${signed ? "SIGNED" : "UNSIGNED"} size=${btf.sizeOf(id)} vlen=${vlen}`;
      for (let i = 0; i < vlen; i++) {
        s += `\n\t'${bpftoolName(btf, btf.enumValueNameOff(id, i))}' val=${btf.enumValueSigned(id, i)}${suffix}`;
      }
      break;
    }
    case Kind.FWD:
      s += ` fwd_kind=${btf.kindFlag(id) ? "union" : "struct"}`;
      break;
    case Kind.FUNC:
      s += ` type_id=${btf.typeIdOf(id)} linkage=${funcLinkageName(btf.vlen(id))}`;
      break;
    case Kind.FUNC_PROTO: {
      const vlen = btf.vlen(id);
      s += ` ret_type_id=${btf.typeIdOf(id)} vlen=${vlen}`;
      for (let i = 0; i < vlen; i++) {
        s += `\n\t'${bpftoolName(btf, btf.paramNameOff(id, i))}' type_id=${btf.paramType(id, i)}`;
      }
      break;
    }
    case Kind.VAR:
      s += ` type_id=${btf.typeIdOf(id)}, linkage=${varLinkageName(btf.linkage(id))}`;
      break;
    case Kind.DATASEC: {
      const vlen = btf.vlen(id);
      s += ` size=${btf.sizeOf(id)} vlen=${vlen}`;
      for (let i = 0; i < vlen; i++) {
        const type = btf.datasecVarType(id, i);
        s += `\n\ttype_id=${type} offset=${btf.datasecVarOffset(id, i)} size=${btf.datasecVarSize(id, i)}`;
        if (type < btf.typeCount) s += ` (${kindName(btf.kind(type))} '${bpftoolName(btf, btf.nameOff(type))}')`;
      }
      break;
    }
    case Kind.FLOAT:
      s += ` size=${btf.sizeOf(id)}`;
      break;
    case Kind.DECL_TAG:
      s += ` type_id=${btf.typeIdOf(id)} component_idx=${btf.declTagComponentIdx(id)}`;
      break;
  }
  return `${s}\n`;
}
