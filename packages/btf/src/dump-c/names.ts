// C names for BTF types. BTF may hold several different types with one name (vmlinux has a few); C cannot, so
// the n-th distinct type with a given name (n > 1) is called `name___n`. Struct/union/enum tags count in one
// namespace, typedefs and enumerators in another, in the order the dumper first asks for each name, exactly
// like libbpf's btf_dump. Forward declarations and empty enums keep their name: they never define anything.
//
// Names are compared as bytes of the string section, never decoded: two offsets holding the same text are the
// same name. The counters are open-addressing hash tables keyed by string offset.
import { Kind } from "../kinds.js";
import type { TypeTable } from "./type-table.js";

// Kind numbers as module constants: read in code that runs unoptimized (one-shot dumps), `Kind.X` is a
// property load at every use, and a switch evaluates its cases one by one.
const { TYPEDEF, ENUM, ENUM64, INT, STRUCT, UNION, FWD } = Kind;

/** Counts occurrences of names given by string offset, comparing the bytes they point at. */
class NameCounter {
  /** Pairs of (string offset + 1, count); a 0 key marks an empty slot. */
  private slots: Int32Array;
  private used = 0;

  /** `expected`: how many distinct names to size for (the table still grows past it). */
  constructor(
    private readonly strings: Uint8Array,
    expected: number,
  ) {
    let slots = 1024;
    while (slots * 3 < expected * 4) slots *= 2;
    this.slots = new Int32Array(2 * slots);
  }

  private hash(offset: number): number {
    const strings = this.strings;
    let hash = 0x811c9dc5 | 0;
    for (let i = offset; i < strings.length && strings[i] !== 0; i++) hash = Math.imul(hash ^ strings[i]!, 0x01000193);
    return hash;
  }

  /** Counts one more occurrence of the name at `offset` and returns the new count. */
  bump(offset: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = this.hash(offset) & mask;
    for (;;) {
      const key = slots[2 * slot]!;
      if (key === 0) break;
      if (this.sameText(key - 1, offset)) return ++slots[2 * slot + 1]!;
      slot = (slot + 1) & mask;
    }
    if ((this.used + 1) * 4 > (slots.length >> 1) * 3) return this.grow(offset);
    slots[2 * slot] = offset + 1;
    slots[2 * slot + 1] = 1;
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

  /** Doubles the table (rehashing every name), then counts the new name `offset`. */
  private grow(offset: number): number {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.used = 0;
    const mask = (this.slots.length >> 1) - 1;
    for (let i = 0; i < old.length; i += 2) {
      const key = old[i]!;
      if (key === 0) continue;
      let slot = this.hash(key - 1) & mask;
      while (this.slots[2 * slot] !== 0) slot = (slot + 1) & mask;
      this.slots[2 * slot] = key;
      this.slots[2 * slot + 1] = old[i + 1]!;
      this.used++;
    }
    return this.bump(offset);
  }
}

/** Marks a suffix number too large for a byte. */
const BIG_SUFFIX = 255;

export class NameResolver {
  private readonly tags: NameCounter;
  private readonly idents: NameCounter;
  /**
   * Per id: 0 = not resolved yet, 1 = keeps its name, n > 1 = renamed to `name___n`. One byte per id (vmlinux:
   * 126k); the rare suffix past 254 is stored as 255 and kept in `bigSuffix`.
   */
  private readonly suffix: Uint8Array;
  private readonly bigSuffix = new Map<number, number>();

  constructor(private readonly table: TypeTable) {
    // Upper bounds of the names each namespace can see: tags of ints, structs, unions, enums; typedef names and
    // enumerators. Sizing for them up front avoids rehashing while the dump runs.
    let tags = 0;
    let idents = 0;
    const { kinds } = table;
    for (let id = 1; id < table.count; id++) {
      const kind = kinds[id]!;
      if (kind === TYPEDEF) idents++;
      else if (kind === ENUM || kind === ENUM64) {
        tags++;
        idents += table.vlen(id);
      } else if (kind === INT || kind === STRUCT || kind === UNION) tags++;
    }
    this.tags = new NameCounter(table.strings, tags);
    this.idents = new NameCounter(table.strings, idents);
    this.suffix = new Uint8Array(table.count);
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
    if (known !== 0) return known === BIG_SUFFIX ? this.bigSuffix.get(id)! : known;
    const table = this.table;
    const nameOffset = table.nameOffset(id);
    if (nameOffset === 0) return 1;
    const kind = table.kinds[id];
    const n = kind === FWD || (kind === ENUM && table.vlen(id) === 0) ? 1 : counter.bump(nameOffset);
    if (n >= BIG_SUFFIX) this.bigSuffix.set(id, n);
    this.suffix[id] = Math.min(n, BIG_SUFFIX);
    return n;
  }
}
