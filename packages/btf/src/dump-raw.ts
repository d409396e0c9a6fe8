// The text of `bpftool btf dump file F` (format raw) for bpftool 7.1 / kernel 6.1: one line per type, then one
// tab-indented line per member, value, parameter or datasec entry. For split BTF only the split's own types are
// listed, as bpftool does. Written as bytes (names copied as stored), which is what makes dumping vmlinux fast.

import type { Btf, Engine } from "./btf.js";
import { ascii, ByteSink, collectBytes, collectText } from "./byte-sink.js";
import { BtfError } from "./errors.js";
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

/** Options of the raw dump functions. */
export interface RawDumpOptions {
  /**
   * "auto" (default) and "wasm": WebAssembly for base BTF (see wasm/dump.c), TypeScript for split BTF; "js"
   * forces the TypeScript writer. Both produce the same bytes.
   */
  readonly engine?: Engine;
}

const INT_ENCODINGS: Record<number, string> = { 0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL" };
const LINKAGE = ["static", "global", "extern"];

export function intEncodingName(encoding: number): string {
  return INT_ENCODINGS[encoding] ?? "UNKN";
}

/** VAR and FUNC linkage as bpftool names it. */
export function linkageName(linkage: number): string {
  return LINKAGE[linkage] ?? "(unknown)";
}

export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? "UNKNOWN";
}

/** bpftool's btf_str: "(anon)" for offset 0, "(invalid)" past the strings. */
export function bpftoolName(btf: Btf, offset: number): string {
  if (offset === 0) return "(anon)";
  return btf.stringAt(offset) ?? "(invalid)";
}

const ANON = ascii("(anon)");
const INVALID = ascii("(invalid)");
const KIND_PREFIX = KIND_NAMES.map((k) => ascii(` ${k} '`));
const T = {
  size: ascii("' size="),
  bitsOffset: ascii(" bits_offset="),
  nrBits: ascii(" nr_bits="),
  encoding: ascii(" encoding="),
  intEnc: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((e) => ascii(intEncodingName(e))),
  typeId: ascii("' type_id="),
  indexTypeId: ascii(" index_type_id="),
  nrElems: ascii(" nr_elems="),
  vlen: ascii(" vlen="),
  memberStart: ascii("\n\t'"),
  memberTypeId: ascii("' type_id="),
  bitfieldSize: ascii(" bitfield_size="),
  encSigned: ascii("' encoding=SIGNED size="),
  encUnsigned: ascii("' encoding=UNSIGNED size="),
  val: ascii("' val="),
  fwdStruct: ascii("' fwd_kind=struct"),
  fwdUnion: ascii("' fwd_kind=union"),
  linkage: ascii(" linkage="),
  varLinkage: ascii(", linkage="),
  linkages: [0, 1, 2, 3].map((l) => ascii(linkageName(l))),
  retTypeId: ascii("' ret_type_id="),
  secVar: ascii("\n\ttype_id="),
  offset: ascii(" offset="),
  secSize: ascii(" size="),
  componentIdx: ascii(" component_idx="),
};

/** Writes a name the way bpftool's btf_str prints it. */
function writeName(out: ByteSink, btf: Btf, offset: number): void {
  if (offset === 0) out.bytes(ANON);
  else if (!out.string(btf.strings, offset, undefined)) out.bytes(INVALID);
}

/** The whole raw dump as one string. */
export function dumpBtfRaw(btf: Btf, options: RawDumpOptions = {}): string {
  return new TextDecoder().decode(dumpBtfRawBytes(btf, options));
}

/** The raw dump as bytes (names exactly as stored). */
export function dumpBtfRawBytes(btf: Btf, options: RawDumpOptions = {}): Uint8Array {
  return collectBytes((out) => writeRaw(btf, out, options));
}

/**
 * The raw dump handed to `write` in chunks of 64 KiB to 1 MiB, as bytes like every dump*To (no decoding: the
 * fastest way to a file descriptor). Each chunk is valid only during the call: write it out or copy it.
 */
export function dumpBtfRawTo(btf: Btf, write: (chunk: Uint8Array) => void, options: RawDumpOptions = {}): void {
  const out = new ByteSink(write);
  writeRaw(btf, out, options);
  out.flush();
}

/**
 * The lines of one type, newline-terminated. Any id of the BTF: void (bpftool prints `[0] UNKNOWN '(anon)'`,
 * as for a map without a key type) and, for split BTF, the base's types too.
 */
export function rawType(btf: Btf, id: number): string {
  return collectText((out) => {
    if (id === 0) out.bytes(VOID_RAW);
    else writeRawType(ownerOf(btf, id), id, out);
  });
}

const VOID_RAW = ascii("[0] UNKNOWN '(anon)'\n");

/** The blob of a split chain that defines `id`; a BtfError for ids past the end. */
export function ownerOf(btf: Btf, id: number): Btf {
  if (!(Number.isInteger(id) && id > 0 && id < btf.typeCount)) {
    throw new BtfError("BAD_TYPE_ID", `no type with id ${id}`, { typeId: id });
  }
  let owner = btf;
  while (id < owner.firstOwnId && owner.base) owner = owner.base;
  return owner;
}

function writeRaw(btf: Btf, out: ByteSink, options: RawDumpOptions): void {
  if (options.engine !== "js") {
    const done = dumpTypesWasm(
      btf,
      "raw",
      (chunk) => out.block(chunk),
      (id) => writeRawType(btf, id, out),
    );
    if (done) return;
  }
  for (let id = btf.firstOwnId; id < btf.typeCount; id++) writeRawType(btf, id, out);
}

function writeRawType(btf: Btf, id: number, out: ByteSink): void {
  const w = btf.words;
  const pos = btf.starts[id - btf.firstOwnId];
  const info = w[pos + 1];
  const kind = (info >>> 24) & 0x1f;
  out.byte(91); // [
  out.uint(id);
  out.byte(93); // ]
  out.bytes(KIND_PREFIX[kind]);
  writeName(out, btf, w[pos]);
  // One small function per kind: each gets optimized on its own, and early, which matters for a one-shot dump.
  switch (kind) {
    case INT:
      rawInt(w, pos, out);
      break;
    case PTR:
    case CONST:
    case VOLATILE:
    case RESTRICT:
    case TYPEDEF:
    case TYPE_TAG:
      out.bytes(T.typeId);
      out.uint(w[pos + 2]);
      break;
    case ARRAY:
      rawArray(w, pos, out);
      break;
    case STRUCT:
    case UNION:
      rawComposite(btf, w, pos, out);
      break;
    case ENUM:
    case ENUM64:
      rawEnum(btf, w, pos, kind, out);
      break;
    case FWD:
      out.bytes(info >>> 31 === 1 ? T.fwdUnion : T.fwdStruct);
      break;
    case FUNC:
      out.bytes(T.typeId);
      out.uint(w[pos + 2]);
      out.bytes(T.linkage);
      out.bytes(T.linkages[Math.min(info & 0xffff, 3)]);
      break;
    case FUNC_PROTO:
      rawFuncProto(btf, w, pos, out);
      break;
    case VAR:
      out.bytes(T.typeId);
      out.uint(w[pos + 2]);
      out.bytes(T.varLinkage);
      out.bytes(T.linkages[Math.min(w[pos + 3], 3)]);
      break;
    case DATASEC:
      rawDatasec(btf, w, pos, out);
      break;
    case FLOAT:
      out.bytes(T.size);
      out.uint(w[pos + 2]);
      break;
    case DECL_TAG:
      out.bytes(T.typeId);
      out.uint(w[pos + 2]);
      out.bytes(T.componentIdx);
      out.int(w[pos + 3] | 0);
      break;
    default:
      out.byte(39); // closing quote of the name
  }
  out.byte(10);
}

function rawInt(w: Uint32Array, pos: number, out: ByteSink): void {
  const data = w[pos + 3];
  out.bytes(T.size);
  out.uint(w[pos + 2]);
  out.bytes(T.bitsOffset);
  out.uint((data >>> 16) & 0xff);
  out.bytes(T.nrBits);
  out.uint(data & 0xff);
  out.bytes(T.encoding);
  out.bytes(T.intEnc[(data >>> 24) & 0x0f]);
}

function rawArray(w: Uint32Array, pos: number, out: ByteSink): void {
  out.bytes(T.typeId);
  out.uint(w[pos + 3]);
  out.bytes(T.indexTypeId);
  out.uint(w[pos + 4]);
  out.bytes(T.nrElems);
  out.uint(w[pos + 5]);
}

function rawComposite(btf: Btf, w: Uint32Array, pos: number, out: ByteSink): void {
  const info = w[pos + 1];
  const vlen = info & 0xffff;
  const bitfields = info >>> 31 === 1;
  out.bytes(T.size);
  out.uint(w[pos + 2]);
  out.bytes(T.vlen);
  out.uint(vlen);
  for (let i = pos + 3, end = pos + 3 + vlen * 3; i < end; i += 3) {
    const offset = w[i + 2];
    out.bytes(T.memberStart);
    writeName(out, btf, w[i]);
    out.bytes(T.memberTypeId);
    out.uint(w[i + 1]);
    out.bytes(T.bitsOffset);
    out.uint(bitfields ? offset & 0xffffff : offset);
    if (bitfields && offset >>> 24 !== 0) {
      out.bytes(T.bitfieldSize);
      out.uint(offset >>> 24);
    }
  }
}

function rawEnum(btf: Btf, w: Uint32Array, pos: number, kind: number, out: ByteSink): void {
  const info = w[pos + 1];
  const vlen = info & 0xffff;
  const signed = info >>> 31 === 1;
  out.bytes(signed ? T.encSigned : T.encUnsigned);
  out.uint(w[pos + 2]);
  out.bytes(T.vlen);
  out.uint(vlen);
  if (kind === ENUM) {
    for (let i = pos + 3, end = pos + 3 + vlen * 2; i < end; i += 2) {
      out.bytes(T.memberStart);
      writeName(out, btf, w[i]);
      out.bytes(T.val);
      if (signed) out.int(w[i + 1] | 0);
      else out.uint(w[i + 1]);
    }
    return;
  }
  for (let i = pos + 3, end = pos + 3 + vlen * 3; i < end; i += 3) {
    out.bytes(T.memberStart);
    writeName(out, btf, w[i]);
    out.bytes(T.val);
    writeU64(out, w[i + 1], w[i + 2], signed);
    out.text(signed ? "LL" : "ULL");
  }
}

function rawFuncProto(btf: Btf, w: Uint32Array, pos: number, out: ByteSink): void {
  const vlen = w[pos + 1] & 0xffff;
  out.bytes(T.retTypeId);
  out.uint(w[pos + 2]);
  out.bytes(T.vlen);
  out.uint(vlen);
  for (let i = pos + 3, end = pos + 3 + vlen * 2; i < end; i += 2) {
    out.bytes(T.memberStart);
    writeName(out, btf, w[i]);
    out.bytes(T.memberTypeId);
    out.uint(w[i + 1]);
  }
}

function rawDatasec(btf: Btf, w: Uint32Array, pos: number, out: ByteSink): void {
  const vlen = w[pos + 1] & 0xffff;
  out.bytes(T.size);
  out.uint(w[pos + 2]);
  out.bytes(T.vlen);
  out.uint(vlen);
  for (let i = pos + 3, end = pos + 3 + vlen * 3; i < end; i += 3) {
    const type = w[i];
    out.bytes(T.secVar);
    out.uint(type);
    out.bytes(T.offset);
    out.uint(w[i + 1]);
    out.bytes(T.secSize);
    out.uint(w[i + 2]);
    if (type < btf.typeCount) {
      out.text(" (");
      out.text(kindName(btf.kind(type)));
      out.text(" '");
      writeName(out, btf, btf.nameOff(type));
      out.text("')");
    }
  }
}

/** A 64-bit value from its two halves, signed or unsigned, in decimal. */
export function writeU64(out: ByteSink, lo: number, hi: number, signed: boolean): void {
  if (hi === 0) out.uint(lo);
  else if (hi < 0x200000 && !(signed && hi >= 0x80000000)) out.uint(hi * 0x100000000 + lo);
  else {
    const value = (BigInt(hi) << 32n) | BigInt(lo);
    out.text(String(signed ? BigInt.asIntN(64, value) : value));
  }
}
