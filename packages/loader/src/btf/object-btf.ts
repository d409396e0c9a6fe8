// The object's own BTF (.BTF of one clang object), read in place for what the loader needs: map definitions,
// DATASEC/VAR layout of global data, extern types, kconfig types. Also a CoreBtf, so the CO-RE engine can use it
// as the local side. Every offset is checked when the type table is indexed; accessors then read without checks.
// It is small and self-contained on purpose: loading an object must not depend on a full type-graph model.

import {
  BTF_HEADER_SIZE,
  BTF_MAGIC,
  extraWords,
  IntEncoding,
  isModOrTypedef,
  Kind,
  resolveSize as resolveTypeSize,
} from "@bpfkit/btf";
import { LoaderError } from "../errors.js";

// Kind numbers are @bpfkit/btf's; the loader's object index also exports them under this name.
export { Kind as BtfKind };

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export interface DatasecEntry {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

function bad(message: string, offset?: number): never {
  throw new LoaderError("BAD_BTF", `.BTF: ${message}`, { section: ".BTF", offset });
}

export class ObjectBtf {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  readonly typeCount: number;
  readonly firstOwnId = 1;
  readonly pointerSize = 8;
  /** Byte offset of the type section and the string section inside `bytes`. */
  readonly typesStart: number;
  readonly typesLength: number;
  readonly stringsStart: number;
  readonly stringsLength: number;
  private readonly view: DataView;
  /** starts[id] = byte offset of type `id` (index 0 unused: void). */
  private readonly starts: Uint32Array;
  private readonly names = new Map<number, string>();

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    if (bytes.length < BTF_HEADER_SIZE) bad(`${bytes.length} bytes is shorter than the BTF header`, 0);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.view.getUint16(0, true) === BTF_MAGIC) this.littleEndian = true;
    else if (this.view.getUint16(0, false) === BTF_MAGIC) this.littleEndian = false;
    else bad("bad magic", 0);
    const le = this.littleEndian;
    if (bytes[2] !== 1) bad(`unsupported version ${bytes[2]}`, 2);
    const hdrLen = this.view.getUint32(4, le);
    if (hdrLen < BTF_HEADER_SIZE || hdrLen > bytes.length) bad(`bad header length ${hdrLen}`, 4);
    const typeOff = this.view.getUint32(8, le);
    const typeLen = this.view.getUint32(12, le);
    const strOff = this.view.getUint32(16, le);
    const strLen = this.view.getUint32(20, le);
    const data = bytes.length - hdrLen;
    if (typeOff > data || typeLen > data - typeOff) bad("type section out of bounds", 8);
    if (strOff > data || strLen > data - strOff) bad("string section out of bounds", 16);
    if (typeLen % 4 !== 0) bad("type section length is not a multiple of 4", 12);
    if (strLen === 0 || bytes[hdrLen + strOff] !== 0) bad("string section must start with an empty string", 16);
    if (bytes[hdrLen + strOff + strLen - 1] !== 0) bad("string section must end with NUL", 16);
    this.typesStart = hdrLen + typeOff;
    this.typesLength = typeLen;
    this.stringsStart = hdrLen + strOff;
    this.stringsLength = strLen;

    const capacity = Math.floor(typeLen / 12) + 1;
    const starts = new Uint32Array(capacity);
    const end = this.typesStart + typeLen;
    let pos = this.typesStart;
    let id = 1;
    while (pos < end) {
      if (end - pos < 12) bad(`type [${id}] is truncated`, pos);
      const info = this.view.getUint32(pos + 4, le);
      const kind = (info >>> 24) & 0x1f;
      const words = extraWords(kind, info & 0xffff);
      if (words < 0) bad(`type [${id}] has unknown kind ${kind}`, pos);
      if (end - pos - 12 < words * 4) bad(`type [${id}] runs past the type section`, pos);
      starts[id] = pos;
      pos += 12 + words * 4;
      id++;
    }
    this.starts = starts;
    this.typeCount = id;
    // Reference checks: every type id a type names must exist, so accessors never read out of bounds.
    for (let t = 1; t < this.typeCount; t++) this.checkReferences(t);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, this.littleEndian);
  }

  private checkId(owner: number, id: number): void {
    if (id >= this.typeCount) bad(`type [${owner}] refers to missing type [${id}]`, this.starts[owner]);
  }

  private checkName(owner: number, off: number): void {
    if (off >= this.stringsLength) bad(`type [${owner}] has a name offset ${off} past the strings`, this.starts[owner]);
  }

  private checkReferences(id: number): void {
    const kind = this.kind(id);
    const at = this.starts[id]!;
    this.checkName(id, this.u32(at));
    const vlen = this.vlen(id);
    switch (kind) {
      case Kind.PTR:
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.FUNC:
      case Kind.FUNC_PROTO:
      case Kind.VAR:
      case Kind.DECL_TAG:
      case Kind.TYPE_TAG:
        this.checkId(id, this.u32(at + 8));
        break;
      case Kind.ARRAY:
        this.checkId(id, this.u32(at + 12));
        this.checkId(id, this.u32(at + 16));
        break;
      default:
        break;
    }
    if (kind === Kind.STRUCT || kind === Kind.UNION || kind === Kind.DATASEC) {
      for (let i = 0; i < vlen; i++) {
        if (kind !== Kind.DATASEC) this.checkName(id, this.u32(at + 12 + i * 12));
        this.checkId(id, this.u32(at + 12 + i * 12 + (kind === Kind.DATASEC ? 0 : 4)));
      }
    } else if (kind === Kind.FUNC_PROTO) {
      for (let i = 0; i < vlen; i++) {
        this.checkName(id, this.u32(at + 12 + i * 8));
        this.checkId(id, this.u32(at + 16 + i * 8));
      }
    } else if (kind === Kind.ENUM || kind === Kind.ENUM64) {
      const step = kind === Kind.ENUM ? 8 : 12;
      for (let i = 0; i < vlen; i++) this.checkName(id, this.u32(at + 12 + i * step));
    }
  }

  /** Byte offset of type `id` in `bytes` (for patching a copy). */
  typeOffset(id: number): number {
    return this.starts[id]!;
  }

  valid(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.typeCount;
  }

  kind(id: number): number {
    if (id === 0) return Kind.UNKN;
    return (this.u32(this.starts[id]! + 4) >>> 24) & 0x1f;
  }

  vlen(id: number): number {
    if (id === 0) return 0;
    return this.u32(this.starts[id]! + 4) & 0xffff;
  }

  kindFlag(id: number): boolean {
    if (id === 0) return false;
    return this.u32(this.starts[id]! + 4) >>> 31 === 1;
  }

  nameOffset(id: number): number {
    return id === 0 ? 0 : this.u32(this.starts[id]!);
  }

  nameOf(id: number): string {
    return this.stringAt(this.nameOffset(id)) ?? "";
  }

  stringAt(offset: number): string | undefined {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.stringsLength) return undefined;
    let s = this.names.get(offset);
    if (s === undefined) {
      const from = this.stringsStart + offset;
      let end = from;
      while (this.bytes[end] !== 0) end++;
      s = decoder.decode(this.bytes.subarray(from, end));
      this.names.set(offset, s);
    }
    return s;
  }

  sizeField(id: number): number {
    return id === 0 ? 0 : this.u32(this.starts[id]! + 8);
  }

  refType(id: number): number {
    return id === 0 ? 0 : this.u32(this.starts[id]! + 8);
  }

  memberName(id: number, index: number): string {
    return this.stringAt(this.u32(this.starts[id]! + 12 + index * 12)) ?? "";
  }

  memberType(id: number, index: number): number {
    return this.u32(this.starts[id]! + 16 + index * 12);
  }

  private memberOffsetField(id: number, index: number): number {
    return this.u32(this.starts[id]! + 20 + index * 12);
  }

  memberBitOffset(id: number, index: number): number {
    const raw = this.memberOffsetField(id, index);
    return this.kindFlag(id) ? raw & 0xffffff : raw;
  }

  memberBitfieldSize(id: number, index: number): number {
    return this.kindFlag(id) ? this.memberOffsetField(id, index) >>> 24 : 0;
  }

  arrayElemType(id: number): number {
    return this.u32(this.starts[id]! + 12);
  }

  arrayIndexType(id: number): number {
    return this.u32(this.starts[id]! + 16);
  }

  arrayLength(id: number): number {
    return this.u32(this.starts[id]! + 20);
  }

  intEncoding(id: number): number {
    return (this.u32(this.starts[id]! + 12) >>> 24) & 0x0f;
  }

  intOffset(id: number): number {
    return (this.u32(this.starts[id]! + 12) >>> 16) & 0xff;
  }

  intBits(id: number): number {
    return this.u32(this.starts[id]! + 12) & 0xff;
  }

  isSignedInt(id: number): boolean {
    return (this.intEncoding(id) & IntEncoding.SIGNED) !== 0;
  }

  isBoolInt(id: number): boolean {
    return (this.intEncoding(id) & IntEncoding.BOOL) !== 0;
  }

  enumValueName(id: number, index: number): string {
    const step = this.kind(id) === Kind.ENUM ? 8 : 12;
    return this.stringAt(this.u32(this.starts[id]! + 12 + index * step)) ?? "";
  }

  enumValue(id: number, index: number): bigint {
    const at = this.starts[id]! + 12;
    if (this.kind(id) === Kind.ENUM) return BigInt(this.view.getInt32(at + index * 8 + 4, this.littleEndian));
    const lo = BigInt(this.u32(at + index * 12 + 4));
    const hi = BigInt(this.u32(at + index * 12 + 8));
    return (hi << 32n) | lo;
  }

  paramName(id: number, index: number): string {
    return this.stringAt(this.u32(this.starts[id]! + 12 + index * 8)) ?? "";
  }

  paramType(id: number, index: number): number {
    return this.u32(this.starts[id]! + 16 + index * 8);
  }

  /** VAR linkage (VarLinkage). */
  varLinkage(id: number): number {
    return this.u32(this.starts[id]! + 12);
  }

  /** FUNC linkage is stored in vlen. */
  funcLinkage(id: number): number {
    return this.vlen(id);
  }

  datasecEntries(id: number): DatasecEntry[] {
    const at = this.starts[id]! + 12;
    const out: DatasecEntry[] = [];
    for (let i = 0; i < this.vlen(id); i++) {
      out.push({ type: this.u32(at + i * 12), offset: this.u32(at + i * 12 + 4), size: this.u32(at + i * 12 + 8) });
    }
    return out;
  }

  private readonly byName = new Map<string, number[]>();

  /**
   * Ids of the types named `name`, ascending. Compares the encoded name against the string section bytes
   * (no decoding of other names), and remembers each answer: the loader asks for a few dozen names at most.
   */
  idsByName(name: string): readonly number[] {
    const cached = this.byName.get(name);
    if (cached) return cached;
    const target = encoder.encode(name);
    const out: number[] = [];
    const bytes = this.bytes;
    const base = this.stringsStart;
    const first = target[0];
    for (let id = 1; id < this.typeCount; id++) {
      const off = this.nameOffset(id);
      if (off === 0 || off + target.length >= this.stringsLength) continue;
      const at = base + off;
      if (bytes[at] !== first || bytes[at + target.length] !== 0) continue;
      let same = true;
      for (let i = 1; i < target.length; i++) {
        if (bytes[at + i] !== target[i]) {
          same = false;
          break;
        }
      }
      if (same) out.push(id);
    }
    this.byName.set(name, out);
    return out;
  }

  private varsAndFuncs: Map<string, number> | undefined;

  /** First VAR or FUNC with this name (extern lookup), or 0; one pass decodes only VAR/FUNC names. */
  firstVarOrFunc(name: string): number {
    if (!this.varsAndFuncs) {
      const index = new Map<string, number>();
      for (let id = 1; id < this.typeCount; id++) {
        const k = this.kind(id);
        if (k !== Kind.VAR && k !== Kind.FUNC) continue;
        const n = this.nameOf(id);
        if (!index.has(n)) index.set(n, id);
      }
      this.varsAndFuncs = index;
    }
    return this.varsAndFuncs.get(name) ?? 0;
  }

  /** First type with this name and kind (libbpf's btf__find_by_name_kind), or 0. */
  findByNameKind(name: string, kind: number): number {
    for (const id of this.idsByName(name)) if (this.kind(id) === kind) return id;
    return 0;
  }

  /** First type with this name, any kind (libbpf's btf__find_by_name), or 0. */
  findByName(name: string): number {
    return this.idsByName(name)[0] ?? 0;
  }

  /** Skips typedefs and CV/type-tag modifiers (libbpf's skip_mods_and_typedefs). */
  skipModsAndTypedefs(id: number): number {
    let cur = id;
    for (let depth = 0; depth < 64 && cur !== 0; depth++) {
      if (!isModOrTypedef(this.kind(cur))) return cur;
      cur = this.refType(cur);
    }
    return cur;
  }

  /** libbpf's btf__resolve_size: undefined where it would fail (void, FUNC_PROTO, loops, overflow). */
  resolveSize(id: number): number | undefined {
    const size = resolveTypeSize(this, id);
    return size < 0 ? undefined : size;
  }

  /** libbpf's btf__align_of (natural alignment; packed structs report 1). */
  alignOf(id: number): number | undefined {
    const t = this.skipModsAndTypedefs(id);
    switch (this.kind(t)) {
      case Kind.INT:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.FLOAT:
        return Math.min(this.pointerSize, this.sizeField(t));
      case Kind.PTR:
        return this.pointerSize;
      case Kind.ARRAY:
        return this.alignOf(this.arrayElemType(t));
      case Kind.STRUCT:
      case Kind.UNION: {
        let max = 1;
        for (let i = 0; i < this.vlen(t); i++) {
          const a = this.alignOf(this.memberType(t, i));
          if (a === undefined) return undefined;
          if (this.memberBitOffset(t, i) % (8 * a) !== 0) return 1;
          max = Math.max(max, a);
        }
        if (this.sizeField(t) % max !== 0) return 1;
        return max;
      }
      default:
        return undefined;
    }
  }
}
