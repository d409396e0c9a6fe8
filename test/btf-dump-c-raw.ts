// Raw BTF made by hand for the C dumper tests: shapes clang never emits (loops, odd sizes, vmlinux-only
// constructs) written as type records, so both our dumper and bpftool can be run on the same bytes.
import { Btf, BtfError } from "@bpfkit/btf";

/** Builds raw little-endian BTF from type records (u32 words each) and the names they use. */
export class RawBtfBuilder {
  private strings = "\0";
  private readonly records: number[][] = [];

  name(text: string): number {
    const offset = this.strings.length;
    this.strings += `${text}\0`;
    return offset;
  }

  /** The id the next added record gets. */
  get typeCount(): number {
    return this.records.length + 1;
  }

  /** Adds a record; returns its id. */
  add(kind: number, vlen: number, third: number, tail: number[] = [], nameOff = 0, kflag = false): number {
    const info = ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen;
    this.records.push([nameOff, info >>> 0, third, ...tail]);
    return this.records.length;
  }

  bytes(): Uint8Array {
    const words = this.records.flat();
    const strBytes = new TextEncoder().encode(this.strings);
    const out = new Uint8Array(24 + words.length * 4 + strBytes.length);
    const view = new DataView(out.buffer);
    view.setUint16(0, 0xeb9f, true);
    view.setUint8(2, 1);
    view.setUint32(4, 24, true);
    view.setUint32(8, 0, true);
    view.setUint32(12, words.length * 4, true);
    view.setUint32(16, words.length * 4, true);
    view.setUint32(20, strBytes.length, true);
    for (const [i, w] of words.entries()) view.setUint32(24 + 4 * i, w >>> 0, true);
    out.set(strBytes, 24 + words.length * 4);
    return out;
  }

  btf(checkCycles = true): Btf {
    return Btf.parse(this.bytes(), { checkCycles });
  }
}

const INT = 1;
const PTR = 2;
const ARRAY = 3;
const STRUCT = 4;
const UNION = 5;
const ENUM = 6;
const FWD = 7;
const TYPEDEF = 8;
const VOLATILE = 9;
const CONST = 10;
const FUNC = 12;
const FUNC_PROTO = 13;
const VAR = 14;
const DATASEC = 15;
const FLOAT = 16;
const DECL_TAG = 17;
const TYPE_TAG = 18;
const ENUM64 = 19;
const SIGNED = 1 << 24;

/**
 * One BTF with the constructs clang does not produce from our C but vmlinux or other compilers do: GCC's
 * __gnuc_va_list typedef of void and NEON __Poly ints, unreferenced anonymous enums, anonymous enums used only as
 * a return type, vlen-0 prototypes, 64-bit enums of every flavour, union forwards, names shared between ints,
 * structs, typedefs and enumerators, overlong renamed names, nesting deeper than 13 tabs, incomplete embedded
 * members, type tags, and the non-C kinds (func, var, datasec, decl_tag).
 */
/**
 * An int, then `count` structs all named `s` (the C dump renames them `s___2` ... `s___<count>`), then a typedef
 * of the last one (ids: int 1, structs 2..count+1, typedef count+2).
 */
export function addSameNamedStructs(b: RawBtfBuilder, count: number): void {
  const int = b.add(INT, 0, 4, [32], b.name("int"));
  const name = b.name("s");
  for (let i = 0; i < count; i++) b.add(STRUCT, 1, 4, [b.name("x"), int, 0], name);
  // Dumped after the last struct: its name must come back from the resolver, not be counted again.
  b.add(TYPEDEF, 0, count + 1, [], b.name("last_t"));
}

export function oddShapesBtf(): Uint8Array {
  const b = new RawBtfBuilder();
  const n = (s: string) => b.name(s);
  const int = b.add(INT, 0, 4, [SIGNED | 32], n("int"));
  const char = b.add(INT, 0, 1, [(2 << 24) | 8], n("char"));
  const long = b.add(INT, 0, 8, [SIGNED | 64], n("long"));
  const poly = b.add(INT, 0, 1, [8], n("__Poly8_t"));
  b.add(TYPEDEF, 0, 0, [], n("__gnuc_va_list"));
  const builtin = b.add(TYPEDEF, 0, b.typeCount + 1, [], n("__builtin_va_list"));
  b.add(PTR, 0, char);
  b.add(TYPEDEF, 0, builtin, [], n("va_list"));
  // the same name as an int, a struct and a typedef
  const sameInt = b.add(INT, 0, 2, [16], n("shared"));
  b.add(STRUCT, 1, 2, [n("v"), sameInt, 0], n("shared"));
  b.add(TYPEDEF, 0, sameInt, [], n("shared"));
  b.add(ENUM, 1, 4, [n("shared"), 5], n("shared_enum"));
  // top-level anonymous enum nobody references, and one only a prototype returns
  b.add(ENUM, 2, 4, [n("LONELY_A"), 1, n("LONELY_B"), 0xffffffff]);
  b.add(ENUM, 2, 4, [n("NEG_A"), -7 >>> 0, n("NEG_B"), 3], 0, true);
  const retEnum = b.add(ENUM, 1, 4, [n("RET_ONLY"), 9]);
  const proto0 = b.add(FUNC_PROTO, 0, retEnum, []);
  const ptrProto0 = b.add(PTR, 0, proto0);
  b.add(TYPEDEF, 0, ptrProto0, [], n("returns_anon_enum_t"));
  // 64-bit enums: unsigned big, signed negative, all-small with size 8, size 1 and 2 enums
  b.add(ENUM64, 2, 8, [n("U64_SMALL"), 1, 0, n("U64_HIGH"), 0xffffffff, 0xfffffffe], n("u64_enum"));
  b.add(ENUM64, 2, 8, [n("S64_NEG"), 0xfffffffb, 0xffffffff, n("S64_POS"), 0, 0x7fffffff], n("s64_enum"), true);
  b.add(ENUM64, 1, 8, [n("SMALL64"), 3, 0], n("small64_enum"));
  b.add(ENUM, 1, 1, [n("BYTE_VAL"), 200], n("byte_enum"));
  b.add(ENUM, 1, 2, [n("HALF_VAL"), 300], n("half_enum"));
  b.add(ENUM, 0, 4, [], n("empty_enum"));
  b.add(ENUM, 0, 4, [], n("empty_enum"));
  // forwards of both flavours, embedded incomplete member, union with a hole at the end
  const fwdUnion = b.add(FWD, 0, 0, [], n("opaque_union"), true);
  const fwdStruct = b.add(FWD, 0, 0, [], n("opaque_struct"));
  const ptrFwdUnion = b.add(PTR, 0, fwdUnion);
  b.add(STRUCT, 3, 24, [n("u"), ptrFwdUnion, 0, n("inc"), fwdStruct, 64, n("after"), long, 128], n("with_incomplete"));
  b.add(UNION, 2, 16, [n("a"), char, 0, n("b"), int, 0], n("holey_union"));
  // packed detection and gaps: char at 0, long at byte 12, size 24
  b.add(STRUCT, 2, 24, [n("c"), char, 0, n("l"), long, 96], n("odd_offsets"));
  // bitfields with kind_flag, a gap between them, then a plain member
  b.add(
    STRUCT,
    4,
    16,
    [n("b1"), int, (3 << 24) | 0, n("b2"), long, (20 << 24) | 40, n("b3"), char, (5 << 24) | 70, n("tail"), long, 64],
    n("kflag_bits"),
    true,
  );
  // type tags, qualifiers and arrays of function pointers
  const tagged = b.add(TYPE_TAG, 0, int, [], n("user"));
  const ptrTagged = b.add(PTR, 0, tagged);
  const cv = b.add(CONST, 0, b.typeCount + 1);
  b.add(VOLATILE, 0, char);
  const ptrCv = b.add(PTR, 0, cv);
  const proto2 = b.add(FUNC_PROTO, 2, int, [n("x"), ptrCv, 0, 0]);
  const fnPtr = b.add(PTR, 0, proto2);
  const idx = b.add(INT, 0, 4, [32], n("unsigned int"));
  const fnArr = b.add(ARRAY, 0, 0, [fnPtr, idx, 3]);
  b.add(STRUCT, 3, 40, [n("tp"), ptrTagged, 0, n("fns"), fnArr, 64, n("poly"), poly, 256], n("decls"));
  // two structs with the same name, and names long enough that the renamed one is cut at 255 bytes
  b.add(STRUCT, 1, 4, [n("x"), int, 0], n("twin"));
  b.add(STRUCT, 1, 8, [n("y"), long, 0], n("twin"));
  const longName = `very_${"long_".repeat(49)}name`;
  b.add(STRUCT, 1, 4, [n("x"), int, 0], n(longName));
  b.add(STRUCT, 1, 4, [n("x"), int, 0], n(longName));
  // nesting deeper than libbpf's 13-tab indentation cap
  let inner = b.add(STRUCT, 1, 4, [n("core"), int, 0]);
  for (let depth = 0; depth < 15; depth++) inner = b.add(depth % 2 ? STRUCT : UNION, 1, 4, [n(`l${depth}`), inner, 0]);
  b.add(STRUCT, 1, 4, [n("top"), inner, 0], n("deep"));
  // kinds that never appear in C
  const fn = b.add(FUNC, 1, proto2, [], n("a_function"));
  const v = b.add(VAR, 0, int, [1], n("a_var"));
  b.add(DATASEC, 1, 4, [v, 0, 4], n(".data"));
  b.add(DECL_TAG, 0, fn, [0xffffffff], n("a_tag"));
  b.add(FLOAT, 0, 8, [], n("double"));
  return b.bytes();
}

/**
 * Turns a standalone raw BTF into split BTF on top of a base with `baseTypeCount` ids (void included) and a
 * `baseStringLength`-byte string section: every type id (except void) and every string offset is shifted, the
 * string section loses its leading empty string. Little-endian input and output.
 */
export function rebaseRawBtf(raw: Uint8Array, baseTypeCount: number, baseStringLength: number): Uint8Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const hdrLen = view.getUint32(4, true);
  const typeLen = view.getUint32(12, true);
  const strOff = view.getUint32(16, true);
  const strLen = view.getUint32(20, true);
  const words = new Uint32Array(typeLen / 4);
  for (let i = 0; i < words.length; i++) words[i] = view.getUint32(hdrLen + 4 * i, true);
  const id = (w: number) => (w === 0 ? 0 : w + baseTypeCount - 1);
  // The leading "\0" is dropped, so offset o (> 0) of the old section lands at baseStringLength + o - 1.
  const str = (w: number) => (w === 0 ? 0 : w + baseStringLength - 1);
  for (let at = 0; at < words.length; ) {
    const info = words[at + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    words[at] = str(words[at]!);
    let tail = 0;
    switch (kind) {
      case INT:
      case VAR:
      case DECL_TAG:
        tail = 1;
        if (kind !== INT) words[at + 2] = id(words[at + 2]!);
        break;
      case ARRAY:
        tail = 3;
        words[at + 3] = id(words[at + 3]!);
        words[at + 4] = id(words[at + 4]!);
        break;
      case STRUCT:
      case UNION:
        tail = 3 * vlen;
        for (let p = at + 3; p < at + 3 + tail; p += 3) {
          words[p] = str(words[p]!);
          words[p + 1] = id(words[p + 1]!);
        }
        break;
      case ENUM:
        tail = 2 * vlen;
        for (let p = at + 3; p < at + 3 + tail; p += 2) words[p] = str(words[p]!);
        break;
      case ENUM64:
        tail = 3 * vlen;
        for (let p = at + 3; p < at + 3 + tail; p += 3) words[p] = str(words[p]!);
        break;
      case FUNC_PROTO:
        tail = 2 * vlen;
        words[at + 2] = id(words[at + 2]!);
        for (let p = at + 3; p < at + 3 + tail; p += 2) {
          words[p] = str(words[p]!);
          words[p + 1] = id(words[p + 1]!);
        }
        break;
      case DATASEC:
        tail = 3 * vlen;
        for (let p = at + 3; p < at + 3 + tail; p += 3) words[p] = id(words[p]!);
        break;
      case FWD:
      case FLOAT:
        break;
      default:
        words[at + 2] = id(words[at + 2]!); // ptr, typedef, qualifiers, func, type tag
        break;
    }
    at += 3 + tail;
  }
  const strings = raw.subarray(hdrLen + strOff + 1, hdrLen + strOff + strLen);
  const out = new Uint8Array(24 + words.length * 4 + strings.length);
  const o = new DataView(out.buffer);
  o.setUint16(0, 0xeb9f, true);
  o.setUint8(2, 1);
  o.setUint32(4, 24, true);
  o.setUint32(12, words.length * 4, true);
  o.setUint32(16, words.length * 4, true);
  o.setUint32(20, strings.length, true);
  for (const [i, w] of words.entries()) o.setUint32(24 + 4 * i, w, true);
  out.set(strings, 24 + words.length * 4);
  return out;
}

/**
 * Btf blobs parsed from `rounds` copies of the raw BTF `original`, each with 1-4 random bytes of its type section
 * (or of its string section, all but the final NUL) changed (`random`: a seeded generator, test/support/mutate.ts).
 * Copies the parser refuses are skipped after checking the refusal is a BtfError; the cycle check is off, so the
 * dumpers must cope with loops themselves.
 */
export function* mutatedBtfs(
  original: Uint8Array,
  rounds: number,
  random: () => number,
  section: "types" | "strings" = "types",
): Generator<Btf> {
  const next = () => Math.floor(random() * 2 ** 32);
  const header = new DataView(original.buffer, original.byteOffset);
  const le = original[0] === 0x9f;
  const [from, size] =
    section === "types"
      ? [24, header.getUint32(12, le)]
      : [24 + header.getUint32(16, le), header.getUint32(20, le) - 1];
  for (let round = 0; round < rounds; round++) {
    const bytes = original.slice();
    const flips = 1 + (next() % 4);
    for (let f = 0; f < flips; f++) bytes[from + (next() % size)] = next() & 0xff;
    let btf: Btf;
    try {
      btf = Btf.parse(bytes, { checkCycles: false });
    } catch (err) {
      if (!(err instanceof BtfError)) throw err;
      continue;
    }
    yield btf;
  }
}
