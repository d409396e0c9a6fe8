// The dumper's view of a BTF: the type section as host-order u32 words (the kernel's record layout) plus the
// word index where each type id starts. Reading members straight out of the words keeps the dump of vmlinux
// (126k types, 400k members) free of per-member objects. Everything is validated once, up front, so the dump
// passes can index without checks: every type id a record refers to and every name offset is in range.
import { BtfDumpError } from "./errors.js";
import {
  ARRAY,
  DATASEC,
  ENUM,
  ENUM64,
  FUNC_PROTO,
  headRefersToType,
  KIND_LIMIT,
  STRUCT,
  tailWords,
  UNION,
} from "./kinds.js";

/** Raw material for a {@link TypeTable}; see {@link TypeTable.from}. */
export interface TypeTableInput {
  /** Type records of every id from 1 up, base types first for split BTF, as host-order u32 words. */
  readonly words: Uint32Array;
  /** `starts[id]` is the word index of type `id`'s record; `starts.length` is the type count (void included). */
  readonly starts: Uint32Array;
  /** String section(s): for split BTF the base's strings followed by the split's, so offsets index it directly. */
  readonly strings: Uint8Array;
}

export class TypeTable {
  /** Number of type ids, void included (libbpf's btf__type_cnt). */
  readonly count: number;
  readonly words: Uint32Array;
  readonly starts: Uint32Array;
  private kindTable: Uint8Array | undefined;
  /** The string section that name offsets index (base strings first for split BTF). */
  readonly strings: Uint8Array;
  private readonly decoder = new TextDecoder();

  private constructor(input: TypeTableInput, checked: boolean) {
    const { words, starts, strings } = input;
    this.words = words;
    this.starts = starts;
    this.count = starts.length;
    this.strings = strings;
    if (this.count === 0) throw new BtfDumpError("BAD_REFERENCE", "type table has no void entry");
    // Records a validating parser accepted need no checks; their kinds are read on first use (the WebAssembly
    // dump of vmlinux never asks for them).
    if (checked) return;
    const kinds = new Uint8Array(this.count);
    for (let id = 1; id < this.count; id++) {
      const at = starts[id]!;
      if (at + 3 > words.length) throw new BtfDumpError("BAD_REFERENCE", "type record outside the type words", id);
      const info = words[at + 1]!;
      const kind = (info >>> 24) & 0x1f;
      const tail = kind < KIND_LIMIT ? tailWords(kind, info & 0xffff) : -1;
      if (tail < 0 || kind === 0) throw new BtfDumpError("BAD_KIND", `unknown BTF kind ${kind}`, id);
      if (at + 3 + tail > words.length)
        throw new BtfDumpError("BAD_REFERENCE", "type record runs past the type words", id);
      kinds[id] = kind;
      this.checkRecord(id, at, kind, info & 0xffff);
    }
    this.kindTable = kinds;
  }

  /** Kind of each id; 0 for void. */
  get kinds(): Uint8Array {
    if (this.kindTable === undefined) {
      const { words, starts, count } = this;
      const kinds = new Uint8Array(count);
      // A loop this small is optimized after a few iterations, which matters in a one-shot dump of 126k types.
      for (let id = 1; id < count; id++) kinds[id] = (words[starts[id]! + 1]! >>> 24) & 0x1f;
      this.kindTable = kinds;
    }
    return this.kindTable;
  }

  /**
   * Validates and wraps the words; throws {@link BtfDumpError} on any out-of-range reference. `alreadyChecked`
   * skips the per-record reference checks for words that a validating parser (Btf.parse) has checked.
   */
  static from(input: TypeTableInput, alreadyChecked = false): TypeTable {
    return new TypeTable(input, alreadyChecked);
  }

  private checkRecord(id: number, at: number, kind: number, vlen: number): void {
    const w = this.words;
    const idLimit = this.count;
    const strLimit = this.strings.length;
    const badId = (ref: number) => {
      throw new BtfDumpError("BAD_REFERENCE", `reference to type [${ref}] out of range`, id);
    };
    const badName = (off: number) => {
      throw new BtfDumpError("BAD_REFERENCE", `name offset ${off} out of range`, id);
    };
    if (w[at]! >= strLimit) badName(w[at]!);
    if (headRefersToType(kind) && w[at + 2]! >= idLimit) badId(w[at + 2]!);
    switch (kind) {
      case ARRAY:
        if (w[at + 3]! >= idLimit) badId(w[at + 3]!);
        if (w[at + 4]! >= idLimit) badId(w[at + 4]!);
        break;
      case STRUCT:
      case UNION:
      case DATASEC:
        for (let i = 0, p = at + 3; i < vlen; i++, p += 3) {
          if (kind !== DATASEC && w[p]! >= strLimit) badName(w[p]!);
          if (w[p + (kind === DATASEC ? 0 : 1)]! >= idLimit) badId(w[p + (kind === DATASEC ? 0 : 1)]!);
        }
        break;
      case ENUM:
      case ENUM64: {
        const stride = kind === ENUM ? 2 : 3;
        for (let i = 0, p = at + 3; i < vlen; i++, p += stride) if (w[p]! >= strLimit) badName(w[p]!);
        break;
      }
      case FUNC_PROTO:
        for (let i = 0, p = at + 3; i < vlen; i++, p += 2) {
          if (w[p]! >= strLimit) badName(w[p]!);
          if (w[p + 1]! >= idLimit) badId(w[p + 1]!);
        }
        break;
      default:
        break;
    }
  }

  /** The NUL-terminated string at a validated offset, decoded (the dump itself copies bytes instead). */
  string(offset: number): string {
    const bytes = this.strings;
    let end = bytes.indexOf(0, offset);
    if (end < 0) end = bytes.length;
    return this.decoder.decode(bytes.subarray(offset, end));
  }

  /** Whether the string at `offset` is exactly the ASCII text `literal`. */
  nameIs(offset: number, literal: string): boolean {
    const bytes = this.strings;
    const n = literal.length;
    if (offset + n >= bytes.length) return false;
    for (let i = 0; i < n; i++) if (bytes[offset + i] !== literal.charCodeAt(i)) return false;
    return bytes[offset + n] === 0;
  }

  info(id: number): number {
    return this.words[this.starts[id]! + 1]!;
  }
  vlen(id: number): number {
    return id === 0 ? 0 : this.words[this.starts[id]! + 1]! & 0xffff;
  }
  kindFlag(id: number): boolean {
    return id !== 0 && this.words[this.starts[id]! + 1]! >>> 31 === 1;
  }
  nameOffset(id: number): number {
    return id === 0 ? 0 : this.words[this.starts[id]!]!;
  }
  name(id: number): string {
    return id === 0 ? "" : this.string(this.words[this.starts[id]!]!);
  }
  /** Size (int, struct, union, enum, float, datasec) or referenced type id (everything else). */
  sizeOrType(id: number): number {
    return id === 0 ? 0 : this.words[this.starts[id]! + 2]!;
  }
}
