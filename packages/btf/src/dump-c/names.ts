// C names for BTF types. BTF may hold several different types with one name (vmlinux has a few); C cannot, so
// the n-th distinct type with a given name (n > 1) is called `name___n`. Struct/union/enum tags count in one
// namespace, typedefs and enumerators in another, in the order the dumper first asks for each name, exactly
// like libbpf's btf_dump. Forward declarations and empty enums keep their name: they never define anything.
//
// Names are compared as bytes of the string section, never decoded: two offsets holding the same text are the
// same name. The counters are open-addressing hash tables keyed by string offset.
import { ENUM, FWD } from "./kinds.js";
import type { TypeTable } from "./type-table.js";

/** Counts occurrences of names given by string offset, comparing the bytes they point at. */
class NameCounter {
  /** Slot key: string offset + 1, 0 for an empty slot. */
  private keys = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private counts = new Int32Array(1024);
  private used = 0;

  constructor(private readonly strings: Uint8Array) {}

  /** Counts one more occurrence of the name at `offset` and returns the new count. */
  bump(offset: number): number {
    const strings = this.strings;
    let hash = 0x811c9dc5 | 0;
    for (let i = offset; i < strings.length && strings[i] !== 0; i++) hash = Math.imul(hash ^ strings[i]!, 0x01000193);
    let mask = this.keys.length - 1;
    let slot = hash & mask;
    for (;;) {
      const key = this.keys[slot]!;
      if (key === 0) break;
      if (this.hashes[slot] === hash && this.sameText(key - 1, offset)) return ++this.counts[slot]!;
      slot = (slot + 1) & mask;
    }
    if ((this.used + 1) * 2 > this.keys.length) {
      this.grow();
      mask = this.keys.length - 1;
      slot = hash & mask;
      while (this.keys[slot] !== 0) slot = (slot + 1) & mask;
    }
    this.keys[slot] = offset + 1;
    this.hashes[slot] = hash;
    this.counts[slot] = 1;
    this.used++;
    return 1;
  }

  private sameText(a: number, b: number): boolean {
    if (a === b) return true;
    const s = this.strings;
    for (;;) {
      const x = a < s.length ? s[a]! : 0;
      const y = b < s.length ? s[b]! : 0;
      if (x !== y) return false;
      if (x === 0) return true;
      a++;
      b++;
    }
  }

  private grow(): void {
    const { keys, hashes, counts } = this;
    const size = keys.length * 2;
    const mask = size - 1;
    this.keys = new Int32Array(size);
    this.hashes = new Int32Array(size);
    this.counts = new Int32Array(size);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === 0) continue;
      let slot = hashes[i]! & mask;
      while (this.keys[slot] !== 0) slot = (slot + 1) & mask;
      this.keys[slot] = keys[i]!;
      this.hashes[slot] = hashes[i]!;
      this.counts[slot] = counts[i]!;
    }
  }
}

export class NameResolver {
  private readonly tags: NameCounter;
  private readonly idents: NameCounter;
  /** Per id: 0 = not resolved yet, 1 = keeps its name, n > 1 = renamed to `name___n`. */
  private readonly suffix: Int32Array;

  constructor(private readonly table: TypeTable) {
    this.tags = new NameCounter(table.strings);
    this.idents = new NameCounter(table.strings);
    this.suffix = new Int32Array(table.count);
  }

  /** Suffix number of a struct, union, enum or fwd name in the tag namespace (1 = no suffix). */
  tagSuffix(id: number): number {
    return this.resolve(id, this.tags);
  }

  /** Suffix number of a typedef name in the identifier namespace (1 = no suffix). */
  identSuffix(id: number): number {
    return this.resolve(id, this.idents);
  }

  /** Counts one more use of an enumerator name and returns how many there have been (1 for the first). */
  enumeratorOccurrence(nameOffset: number): number {
    return this.idents.bump(nameOffset);
  }

  private resolve(id: number, counter: NameCounter): number {
    const known = this.suffix[id]!;
    if (known !== 0) return known;
    const table = this.table;
    const nameOffset = table.nameOffset(id);
    if (nameOffset === 0) return 1;
    const kind = table.kinds[id];
    const n = kind === FWD || (kind === ENUM && table.vlen(id) === 0) ? 1 : counter.bump(nameOffset);
    this.suffix[id] = n;
    return n;
  }
}
