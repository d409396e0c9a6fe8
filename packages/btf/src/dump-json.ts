// The text of `bpftool -j btf dump file F`: {"types":[...]} in bpftool's compact JSON, keys in the order its
// dump_btf_type emits them, strings escaped the way its json_writer does (including its quirks: a backslash is
// written as "\n" and a single quote as "\'").

import type { Btf } from "./btf.js";
import { ascii, ByteSink, collectBytes, collectText } from "./byte-sink.js";
import { intEncodingName, linkageName, ownerOf, type RawDumpOptions, writeU64 } from "./dump-raw.js";
import { KIND_NAMES, Kind } from "./kinds.js";
import { dumpTypesWasm } from "./wasm/dump-wasm.js";

// Kind numbers as module constants: read in code that runs unoptimized (one-shot dumps), `Kind.X` is a
// property load at every use, and a switch evaluates its cases one by one.
const {
  INT,
  PTR,
  CONST,
  VOLATILE,
  RESTRICT,
  TYPEDEF,
  TYPE_TAG,
  ARRAY,
  STRUCT,
  UNION,
  ENUM,
  ENUM64,
  FWD,
  FUNC,
  FUNC_PROTO,
  VAR,
  DATASEC,
  FLOAT,
  DECL_TAG,
} = Kind;

/** The escape letter json_writer uses for byte `b` (after a backslash), or 0 when `b` is written as is. */
function bpftoolEscape(b: number): number {
  switch (b) {
    case 9:
      return 116; // \t
    case 10:
      return 110; // \n
    case 13:
      return 114; // \r
    case 12:
      return 102; // \f
    case 8:
      return 98; // \b
    case 92:
      return 110; // a backslash comes out as \n in bpftool 7.1
    case 34:
      return 34; // \"
    case 39:
      return 39; // \'
    default:
      return 0;
  }
}

/** A JSON string literal as bpftool's jsonw_puts writes it. */
export function bpftoolJsonString(text: string): string {
  let s = '"';
  for (const ch of text) {
    const esc = ch.length === 1 ? bpftoolEscape(ch.charCodeAt(0)) : 0;
    s += esc === 0 ? ch : `\\${String.fromCharCode(esc)}`;
  }
  return `${s}"`;
}

const ANON = ascii('"(anon)"');
const INVALID = ascii('"(invalid)"');
const J = {
  id: ascii('{"id":'),
  kind: KIND_NAMES.map((k) => ascii(`,"kind":"${k}","name":`)),
  size: ascii(',"size":'),
  bitsOffset: ascii(',"bits_offset":'),
  nrBits: ascii(',"nr_bits":'),
  intEnc: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((e) =>
    ascii(`,"encoding":"${intEncodingName(e)}"`),
  ),
  typeId: ascii(',"type_id":'),
  indexTypeId: ascii(',"index_type_id":'),
  nrElems: ascii(',"nr_elems":'),
  vlen: ascii(',"vlen":'),
  members: ascii(',"members":['),
  memberName: ascii('{"name":'),
  bitfieldSize: ascii(',"bitfield_size":'),
  encSigned: ascii(',"encoding":"SIGNED","size":'),
  encUnsigned: ascii(',"encoding":"UNSIGNED","size":'),
  values: ascii(',"values":['),
  val: ascii(',"val":'),
  fwdStruct: ascii(',"fwd_kind":"struct"'),
  fwdUnion: ascii(',"fwd_kind":"union"'),
  linkages: [0, 1, 2, 3].map((l) => ascii(`,"linkage":"${linkageName(l)}"`)),
  retTypeId: ascii(',"ret_type_id":'),
  params: ascii(',"params":['),
  vars: ascii(',"vars":['),
  varType: ascii('{"type_id":'),
  offset: ascii(',"offset":'),
  componentIdx: ascii(',"component_idx":'),
  open: ascii('{"types":['),
  close: ascii("]}\n"),
};

function writeName(out: ByteSink, btf: Btf, offset: number): void {
  if (offset === 0) {
    out.bytes(ANON);
    return;
  }
  out.byte(34);
  if (!out.string(btf.strings, offset, bpftoolEscape)) {
    out.bytes(INVALID.subarray(1));
    return;
  }
  out.byte(34);
}

export function dumpBtfJson(btf: Btf, options: RawDumpOptions = {}): string {
  return new TextDecoder().decode(dumpBtfJsonBytes(btf, options));
}

export function dumpBtfJsonBytes(btf: Btf, options: RawDumpOptions = {}): Uint8Array {
  return collectBytes((out) => writeJson(btf, out, options));
}

/** The JSON dump handed to `write` in byte chunks, as dumpBtfRawTo does. */
export function dumpBtfJsonTo(btf: Btf, write: (chunk: Uint8Array) => void, options: RawDumpOptions = {}): void {
  const out = new ByteSink(write);
  writeJson(btf, out, options);
  out.flush();
}

/** One type as a JSON object: any id, void and a split BTF's base types included (see rawType). */
export function jsonType(btf: Btf, id: number): string {
  return collectText((out) => {
    if (id === 0) out.bytes(VOID_JSON);
    else writeJsonType(ownerOf(btf, id), id, out);
  });
}

const VOID_JSON = ascii('{"id":0,"kind":"UNKNOWN","name":"(anon)"}');

function writeJson(btf: Btf, out: ByteSink, options: RawDumpOptions): void {
  out.bytes(J.open);
  const one = (id: number) => {
    if (id !== btf.firstOwnId) out.byte(44);
    writeJsonType(btf, id, out);
  };
  const done = options.engine !== "js" && dumpTypesWasm(btf, "json", (chunk) => out.block(chunk), one);
  if (!done) for (let id = btf.firstOwnId; id < btf.typeCount; id++) one(id);
  out.bytes(J.close);
}

function writeJsonType(btf: Btf, id: number, out: ByteSink): void {
  const w = btf.words;
  const pos = btf.starts[id - btf.firstOwnId];
  const info = w[pos + 1];
  const kind = (info >>> 24) & 0x1f;
  out.bytes(J.id);
  out.uint(id);
  out.bytes(J.kind[kind]);
  writeName(out, btf, w[pos]);
  // One small function per kind with records: each is optimized on its own, early (see dump-raw.ts).
  switch (kind) {
    case INT: {
      const data = w[pos + 3];
      out.bytes(J.size);
      out.uint(w[pos + 2]);
      out.bytes(J.bitsOffset);
      out.uint((data >>> 16) & 0xff);
      out.bytes(J.nrBits);
      out.uint(data & 0xff);
      out.bytes(J.intEnc[(data >>> 24) & 0x0f]);
      break;
    }
    case PTR:
    case CONST:
    case VOLATILE:
    case RESTRICT:
    case TYPEDEF:
    case TYPE_TAG:
      out.bytes(J.typeId);
      out.uint(w[pos + 2]);
      break;
    case ARRAY:
      out.bytes(J.typeId);
      out.uint(w[pos + 3]);
      out.bytes(J.indexTypeId);
      out.uint(w[pos + 4]);
      out.bytes(J.nrElems);
      out.uint(w[pos + 5]);
      break;
    case STRUCT:
    case UNION:
      jsonComposite(btf, w, pos, out);
      break;
    case ENUM:
    case ENUM64:
      jsonEnum(btf, w, pos, kind, out);
      break;
    case FWD:
      out.bytes(info >>> 31 === 1 ? J.fwdUnion : J.fwdStruct);
      break;
    case FUNC:
      out.bytes(J.typeId);
      out.uint(w[pos + 2]);
      out.bytes(J.linkages[Math.min(info & 0xffff, 3)]);
      break;
    case FUNC_PROTO:
      jsonFuncProto(btf, w, pos, out);
      break;
    case VAR:
      out.bytes(J.typeId);
      out.uint(w[pos + 2]);
      out.bytes(J.linkages[Math.min(w[pos + 3], 3)]);
      break;
    case DATASEC:
      jsonDatasec(w, pos, out);
      break;
    case FLOAT:
      out.bytes(J.size);
      out.uint(w[pos + 2]);
      break;
    case DECL_TAG:
      out.bytes(J.typeId);
      out.uint(w[pos + 2]);
      out.bytes(J.componentIdx);
      out.int(w[pos + 3] | 0);
      break;
  }
  out.byte(125);
}

function jsonComposite(btf: Btf, w: Uint32Array, pos: number, out: ByteSink): void {
  const info = w[pos + 1];
  const vlen = info & 0xffff;
  const bitfields = info >>> 31 === 1;
  out.bytes(J.size);
  out.uint(w[pos + 2]);
  out.bytes(J.vlen);
  out.uint(vlen);
  out.bytes(J.members);
  for (let i = pos + 3, end = pos + 3 + vlen * 3; i < end; i += 3) {
    if (i !== pos + 3) out.byte(44);
    const offset = w[i + 2];
    out.bytes(J.memberName);
    writeName(out, btf, w[i]);
    out.bytes(J.typeId);
    out.uint(w[i + 1]);
    out.bytes(J.bitsOffset);
    out.uint(bitfields ? offset & 0xffffff : offset);
    if (bitfields && offset >>> 24 !== 0) {
      out.bytes(J.bitfieldSize);
      out.uint(offset >>> 24);
    }
    out.byte(125);
  }
  out.byte(93);
}

function jsonEnum(btf: Btf, w: Uint32Array, pos: number, kind: number, out: ByteSink): void {
  const info = w[pos + 1];
  const vlen = info & 0xffff;
  const signed = info >>> 31 === 1;
  const stride = kind === ENUM ? 2 : 3;
  out.bytes(signed ? J.encSigned : J.encUnsigned);
  out.uint(w[pos + 2]);
  out.bytes(J.vlen);
  out.uint(vlen);
  out.bytes(J.values);
  for (let i = pos + 3, end = pos + 3 + vlen * stride; i < end; i += stride) {
    if (i !== pos + 3) out.byte(44);
    out.bytes(J.memberName);
    writeName(out, btf, w[i]);
    out.bytes(J.val);
    if (kind === ENUM64) writeU64(out, w[i + 1], w[i + 2], signed);
    else if (signed) out.int(w[i + 1] | 0);
    else if (w[i + 1] < 0x80000000) out.uint(w[i + 1]);
    // bpftool 7.1 widens the value through a signed 32-bit field: the top bit is sign-extended to 64 bits.
    else writeU64(out, w[i + 1], 0xffffffff, false);
    out.byte(125);
  }
  out.byte(93);
}

function jsonFuncProto(btf: Btf, w: Uint32Array, pos: number, out: ByteSink): void {
  const vlen = w[pos + 1] & 0xffff;
  out.bytes(J.retTypeId);
  out.uint(w[pos + 2]);
  out.bytes(J.vlen);
  out.uint(vlen);
  out.bytes(J.params);
  for (let i = pos + 3, end = pos + 3 + vlen * 2; i < end; i += 2) {
    if (i !== pos + 3) out.byte(44);
    out.bytes(J.memberName);
    writeName(out, btf, w[i]);
    out.bytes(J.typeId);
    out.uint(w[i + 1]);
    out.byte(125);
  }
  out.byte(93);
}

function jsonDatasec(w: Uint32Array, pos: number, out: ByteSink): void {
  const vlen = w[pos + 1] & 0xffff;
  out.bytes(J.size);
  out.uint(w[pos + 2]);
  out.bytes(J.vlen);
  out.uint(vlen);
  out.bytes(J.vars);
  for (let i = pos + 3, end = pos + 3 + vlen * 3; i < end; i += 3) {
    if (i !== pos + 3) out.byte(44);
    out.bytes(J.varType);
    out.uint(w[i]);
    out.bytes(J.offset);
    out.uint(w[i + 1]);
    out.bytes(J.size);
    out.uint(w[i + 2]);
    out.byte(125);
  }
  out.byte(93);
}
