// BtfBuilder: creates BTF, or appends to an existing one. Types are kept as encoded u32 words (so starting from
// vmlinux copies one array instead of decoding 100k objects) and the string section grows deduplicated.
// encode() writes the standard layout: 24-byte header, type section, string section.

import { Btf } from "./btf.js";
import { encodeTypeWords } from "./encode-type.js";
import { BtfError } from "./errors.js";
import { Kind, kindOf, Linkage, STRING_WORDS, TYPE_ID_WORDS, vlenOf } from "./kinds.js";
import type { Scratch } from "./scratch.js";
import { StringBuilder } from "./string-builder.js";
import type { StringTable } from "./strings.js";
import type { BtfType, Member, Named, VarSecinfo, VoidType } from "./types.js";
import { writeBtfBlob } from "./words.js";

export interface BtfBuilderOptions {
  /** Build split BTF on top of this base (ids and string offsets continue the base's). */
  readonly base?: Btf;
  /** Byte order of encode() (default: little-endian, or the source's when started from a Btf). */
  readonly littleEndian?: boolean;
}

/** Member as given to addStruct/addUnion. */
export interface MemberSpec {
  readonly name: string;
  readonly type: number;
  readonly bitOffset: number;
  readonly bitfieldSize?: number;
}

const NO_WORDS = new Uint32Array(0);

export class BtfBuilder {
  readonly base: Btf | undefined;
  readonly firstOwnId: number;
  littleEndian: boolean;
  private words: Uint32Array;
  private wordCount: number;
  private starts: number[];
  private readonly strings: StringBuilder;
  /** Decoded source for types copied by from() and not replaced since. */
  private readonly source: Btf | undefined;
  /** Decoded form of each added type; null for types copied or patched as words (decoded on demand). */
  private readonly objects: (BtfType | null | undefined)[] = [];
  private readonly scratch: number[] = [];
  private flags = 0;
  constructor(options: BtfBuilderOptions = {}, from?: Btf) {
    this.base = from ? from.base : options.base;
    this.firstOwnId = this.base ? this.base.typeCount : 1;
    this.littleEndian = options.littleEndian ?? from?.littleEndian ?? true;
    this.source = from;
    if (from) {
      this.words = new Uint32Array(Math.max(64, from.words.length + (from.words.length >>> 2)));
      this.words.set(from.words);
      this.wordCount = from.words.length;
      this.starts = Array.from(from.starts);
      this.strings = new StringBuilder(from.strings.bytes, from.strings.firstOffset, from.base?.strings);
      this.flags = from.header.flags;
    } else {
      // Allocated on first use (an empty view costs nothing; reserve() may size it right away).
      this.words = NO_WORDS;
      this.wordCount = 0;
      this.starts = [];
      // A base BTF's strings start with the empty name; a split BTF's own strings start empty.
      this.strings = new StringBuilder(
        this.base ? new Uint8Array(0) : new Uint8Array(1),
        this.base?.strings.end ?? 0,
        this.base?.strings,
      );
    }
  }

  /** A builder holding `btf`'s own types and string section verbatim; encode() reproduces it byte for byte. */
  static from(btf: Btf): BtfBuilder {
    return new BtfBuilder({}, btf);
  }

  /** The id the next added type gets (= number of ids so far, void and base included). */
  get typeCount(): number {
    return this.firstOwnId + this.starts.length;
  }

  /**
   * Makes room for `words` more type words and about `stringBytes` more string bytes in `strings` more strings,
   * so that appending a known amount (the static linker appends whole inputs) grows each buffer once.
   */
  reserve(words: number, stringBytes: number, strings: number): void {
    // Twice what is needed when it must grow (see StringSet.reserve).
    if (this.wordCount + words > this.words.length) this.ensure(this.wordCount + 2 * words);
    this.strings.reserve(stringBytes, strings);
  }

  /** Offset of `text` in the string section, adding it if needed. */
  addString(text: string): number {
    return this.strings.add(text);
  }

  /**
   * Offset of the string at `offset` of another BTF's string table, adding it if needed; copied as bytes, never
   * decoded (the static linker copies every name of every input this way).
   */
  addStringFrom(table: StringTable, offset: number): number {
    if (offset === 0) return 0;
    if (offset < table.firstOffset) return this.strings.add(table.at(offset) ?? "");
    const start = offset - table.firstOffset;
    let end = table.bytes.indexOf(0, start);
    if (end < 0) end = table.bytes.length;
    return this.strings.addBytes(table.bytes, start, end);
  }

  /** The string at `offset` (own or base). */
  stringAt(offset: number): string | undefined {
    return this.strings.at(offset);
  }

  private nameOffOf = (named: Named): number => {
    const off = named.nameOff;
    if (off !== undefined && this.strings.at(off) === named.name) return off;
    return this.strings.add(named.name);
  };

  private encodeWords(type: BtfType): number[] {
    const out = this.scratch;
    out.length = 0;
    encodeTypeWords(type, this.nameOffOf, out);
    return out;
  }

  /** Appends a type; returns its id. */
  add(type: BtfType): number {
    const words = this.encodeWords(type);
    this.ensure(words.length);
    this.words.set(words, this.wordCount);
    this.starts.push(this.wordCount);
    this.wordCount += words.length;
    this.objects[this.starts.length - 1] = type;
    return this.typeCount - 1;
  }

  /** Replaces an own type (e.g. fixing a DATASEC's size and VAR offsets after layout). */
  replace(id: number, type: BtfType): void {
    const local = this.localIndex(id);
    const words = this.encodeWords(type);
    const start = this.starts[local];
    const oldEnd = local + 1 < this.starts.length ? this.starts[local + 1] : this.wordCount;
    const delta = words.length - (oldEnd - start);
    if (delta !== 0) {
      this.ensure(Math.max(delta, 0));
      this.words.copyWithin(oldEnd + delta, oldEnd, this.wordCount);
      this.wordCount += delta;
      for (let i = local + 1; i < this.starts.length; i++) this.starts[i] += delta;
    }
    this.words.set(words, start);
    this.objects[local] = type;
  }

  /** The type with this id as an object (base ids answered by the base). */
  type(id: number): BtfType | VoidType {
    if (id === 0) return { kind: Kind.UNKN, name: "" };
    if (id < this.firstOwnId) {
      if (!this.base) throw new BtfError("BAD_TYPE_ID", `type id ${id} out of range`, { typeId: id });
      return this.base.type(id);
    }
    const local = this.localIndex(id);
    const known = this.objects[local];
    if (known) return known;
    // Word-level copies and patches have no object: read them back through a parse (rare; not a hot path).
    if (known === null || !this.source) return this.build().type(id);
    return this.source.type(id);
  }

  /**
   * Appends a copy of `src`'s type `id` as words, its names re-added to this builder's strings (libbpf's
   * btf__add_type), for a caller copying many types from one source (the static linker): names go through
   * `strings`, source offset → this builder's offset + 1 (0: not added yet, then filled in). Type ids inside it are
   * copied as they are: remap them with remapTypeIdsFrom() once the ids they should name exist. Returns the new id.
   */
  copyTypeCached(src: Btf, id: number, strings: Uint32Array): number {
    const start = this.appendWords(src, id);
    const words = this.words;
    // The name, then each record's (STRING_WORDS: every kind's fixed string word is its name).
    this.cachedString(start, src, strings);
    const kind = kindOf(words[start + 1]!);
    const first = STRING_WORDS.recordStart[kind]!;
    if (first >= 0) {
      const stride = STRING_WORDS.recordStride[kind]!;
      const last = start + first + stride * vlenOf(words[start + 1]!);
      for (let w = start + first; w < last; w += stride) this.cachedString(w, src, strings);
    }
    this.forget(this.starts.length - 1);
    return this.typeCount - 1;
  }

  /** Appends `src`'s type `id` word for word, ids and names as they are; returns where it starts here. */
  private appendWords(src: Btf, id: number): number {
    const at = src.wordIndex(id);
    const end = id + 1 < src.typeCount ? src.wordIndex(id + 1) : src.words.length;
    this.ensure(end - at);
    const start = this.wordCount;
    const words = this.words;
    const from = src.words;
    // Records are a few words: a loop beats a subarray (a typed array allocation) per type.
    for (let i = at, to = start; i < end; i++, to++) words[to] = from[i]!;
    this.wordCount = end - at + start;
    this.starts.push(start);
    return start;
  }

  private cachedString(w: number, src: Btf, strings: Uint32Array): void {
    const off = this.words[w]!;
    if (off === 0) return;
    let mapped = strings[off]!;
    if (mapped === 0) {
      mapped = this.addStringFrom(src.strings, off) + 1;
      strings[off] = mapped;
    }
    this.words[w] = mapped - 1;
  }

  /**
   * Rewrites the type ids of own types `firstId`.. through `map` (old id → new id; 0 maps to 0), with the words
   * walked inline. Returns 0, or the first old id that `map` has no entry for (0 there), left as it was.
   */
  remapTypeIdsFrom(firstId: number, map: Uint32Array): number {
    const words = this.words;
    const { fixed, recordStart, recordStride } = TYPE_ID_WORDS;
    for (let local = firstId - this.firstOwnId; local < this.starts.length; local++) {
      const start = this.starts[local]!;
      const kind = kindOf(words[start + 1]!);
      const offsets = fixed[kind]!;
      for (let k = 0; k < offsets.length; k++) {
        const w = start + offsets[k]!;
        const old = words[w]!;
        if (old === 0) continue;
        const to = map[old] ?? 0;
        if (to === 0) return old;
        words[w] = to;
      }
      const first = recordStart[kind]!;
      if (first >= 0) {
        const stride = recordStride[kind]!;
        const last = start + first + stride * vlenOf(words[start + 1]!);
        for (let w = start + first; w < last; w += stride) {
          const old = words[w]!;
          if (old === 0) continue;
          const to = map[old] ?? 0;
          if (to === 0) return old;
          words[w] = to;
        }
      }
      this.forget(local);
    }
    return 0;
  }

  /**
   * The words of own type `id`, for patching fixed-size fields in place (a VAR's type or linkage, a parameter's
   * name). The view is valid until the next add or copy.
   */
  typeWords(id: number): Uint32Array {
    const local = this.localIndex(id);
    const end = local + 1 < this.starts.length ? this.starts[local + 1]! : this.wordCount;
    this.forget(local);
    return this.words.subarray(this.starts[local]!, end);
  }

  /**
   * Marks own type `local` as changed as words (type() re-reads it). Without a source, a missing entry already
   * means that, so a builder fed only word copies (the static linker's) never grows the object list.
   */
  private forget(local: number): void {
    if (this.source || local < this.objects.length) this.objects[local] = null;
  }

  private localIndex(id: number): number {
    const local = id - this.firstOwnId;
    if (!(local >= 0 && local < this.starts.length)) {
      throw new BtfError("BAD_TYPE_ID", `type id ${id} is not one of this builder's types`, { typeId: id });
    }
    return local;
  }

  private ensure(extra: number): void {
    if (this.wordCount + extra <= this.words.length) return;
    const grown = new Uint32Array(Math.max(256, this.words.length * 2, this.wordCount + extra));
    grown.set(this.words.subarray(0, this.wordCount));
    this.words = grown;
  }

  // ---- one helper per kind ----

  addInt(name: string, size: number, encoding = 0, bits = size * 8): number {
    return this.add({ kind: Kind.INT, name, size, encoding, bitOffset: 0, bits });
  }
  addPtr(type: number): number {
    return this.add({ kind: Kind.PTR, name: "", type });
  }
  addArray(elemType: number, indexType: number, nelems: number): number {
    return this.add({ kind: Kind.ARRAY, name: "", type: elemType, indexType, nelems });
  }
  addStruct(name: string, size: number, members: readonly MemberSpec[]): number {
    return this.add(composite(Kind.STRUCT, name, size, members));
  }
  addUnion(name: string, size: number, members: readonly MemberSpec[]): number {
    return this.add(composite(Kind.UNION, name, size, members));
  }
  addEnum(name: string, size: number, values: readonly { name: string; value: number }[], signed = false): number {
    return this.add({ kind: Kind.ENUM, name, size, signed, values });
  }
  addEnum64(name: string, size: number, values: readonly { name: string; value: bigint }[], signed = false): number {
    return this.add({ kind: Kind.ENUM64, name, size, signed, values });
  }
  addFwd(name: string, union = false): number {
    return this.add({ kind: Kind.FWD, name, union });
  }
  addTypedef(name: string, type: number): number {
    return this.add({ kind: Kind.TYPEDEF, name, type });
  }
  addVolatile(type: number): number {
    return this.add({ kind: Kind.VOLATILE, name: "", type });
  }
  addConst(type: number): number {
    return this.add({ kind: Kind.CONST, name: "", type });
  }
  addRestrict(type: number): number {
    return this.add({ kind: Kind.RESTRICT, name: "", type });
  }
  addTypeTag(name: string, type: number): number {
    return this.add({ kind: Kind.TYPE_TAG, name, type, kindFlag: false });
  }
  addFunc(name: string, proto: number, linkage: number = Linkage.STATIC): number {
    return this.add({ kind: Kind.FUNC, name, type: proto, linkage });
  }
  addFuncProto(returnType: number, params: readonly { name: string; type: number }[]): number {
    return this.add({ kind: Kind.FUNC_PROTO, name: "", type: returnType, params });
  }
  addVar(name: string, type: number, linkage: number = Linkage.GLOBAL): number {
    return this.add({ kind: Kind.VAR, name, type, linkage });
  }
  addDatasec(name: string, size: number, vars: readonly VarSecinfo[]): number {
    return this.add({ kind: Kind.DATASEC, name, size, vars });
  }
  addFloat(name: string, size: number): number {
    return this.add({ kind: Kind.FLOAT, name, size });
  }
  addDeclTag(name: string, type: number, componentIdx = -1): number {
    return this.add({ kind: Kind.DECL_TAG, name, type, componentIdx, kindFlag: false });
  }

  // ---- output ----

  /** Raw BTF bytes: header, type section, string section. */
  encode(): Uint8Array {
    return writeBtfBlob({
      header: { flags: this.flags },
      words: this.words.subarray(0, this.wordCount),
      // writeBtfBlob copies them: no copy of our own.
      strings: this.strings.view(),
      littleEndian: this.littleEndian,
    });
  }

  /**
   * The own types' words after `voidWords` zero words in a fresh array, each id's start in it (id 0: 0), the
   * string section (a view, as view()) and header flags: what dedup reads, without an encode and a parse. With
   * `scratch`, the arrays are its memory (valid during the caller's call only). A builder over a base has ids it
   * does not hold: use build().
   */
  flatten(
    voidWords: number,
    scratch?: Scratch,
  ): { words: Uint32Array; starts: Uint32Array; strings: Uint8Array; flags: number } {
    if (this.base) throw new BtfError("BAD_ARGUMENT", "flatten() needs a builder without a base BTF");
    const words = scratch ? scratch.u32(voidWords + this.wordCount) : new Uint32Array(voidWords + this.wordCount);
    words.fill(0, 0, voidWords);
    words.set(this.words.subarray(0, this.wordCount), voidWords);
    const starts = scratch ? scratch.u32(this.typeCount) : new Uint32Array(this.typeCount);
    starts[0] = 0;
    for (let i = 0; i < this.starts.length; i++) starts[i + 1] = this.starts[i]! + voidWords;
    return { words, starts, strings: this.strings.view(), flags: this.flags };
  }

  /** encode() parsed back into a Btf (validates references and cycles). */
  build(): Btf {
    return Btf.parse(this.encode(), { base: this.base });
  }
}

function composite(
  kind: typeof Kind.STRUCT | typeof Kind.UNION,
  name: string,
  size: number,
  specs: readonly MemberSpec[],
): BtfType {
  const members: Member[] = specs.map((m) => ({
    name: m.name,
    type: m.type,
    bitOffset: m.bitOffset,
    bitfieldSize: m.bitfieldSize ?? 0,
  }));
  return { kind, name, size, kindFlag: members.some((m) => m.bitfieldSize !== 0), members };
}

/** Raw bytes of a parsed Btf in the standard layout (byte-identical to a standard-layout input). */
export function encodeBtf(btf: Btf, options: { littleEndian?: boolean } = {}): Uint8Array {
  const builder = BtfBuilder.from(btf);
  if (options.littleEndian !== undefined) builder.littleEndian = options.littleEndian;
  return builder.encode();
}
