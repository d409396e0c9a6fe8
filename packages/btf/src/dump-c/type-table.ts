// The dumper's view of a Btf: its flat form (every type of the BTF and its bases in one id space, see
// Btf.flat) read as records of host-order u32 words. Reading members straight out of the words keeps the dump of
// vmlinux (126k types, 400k members) free of per-member objects; Btf.parse has validated every record, type id
// and name offset, so the dump passes index without checks.
import type { Btf } from "../btf.js";

export class TypeTable {
  /** Number of type ids, void included (libbpf's btf__type_cnt). */
  readonly count: number;
  readonly words: Uint32Array;
  readonly starts: Uint32Array;
  private kindTable: Uint8Array | undefined;
  /** The string section that name offsets index (base strings first for split BTF). */
  readonly strings: Uint8Array;
  private readonly decoder = new TextDecoder();

  constructor(btf: Btf) {
    const { words, starts, strings } = btf.flat();
    this.words = words;
    this.starts = starts;
    this.count = btf.typeCount;
    this.strings = strings;
  }

  /** Kind of each id; 0 for void. Read on first use: the WebAssembly dump of vmlinux never asks. */
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
