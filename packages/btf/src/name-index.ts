// Name lookups over one blob's own types, built on first use. Instead of decoding ~100k names up front, it
// hashes types by name *offset* (integers, typed arrays, about a millisecond on vmlinux); a lookup then finds
// the offsets holding `name\0` in the string section with a native byte search and reads their chains.
// Results are cached per name; after many distinct misses the index switches to a full string map, which is
// cheaper for callers that look up thousands of names.

import type { Btf } from "./btf.js";

const FULL_MAP_AFTER = 512;
const NO_IDS: readonly number[] = [];

export class NameIndex {
  private readonly keys: Uint32Array;
  private readonly heads: Uint32Array;
  private readonly next: Uint32Array;
  private readonly mask: number;
  private readonly cache = new Map<string, readonly number[]>();
  private full: Map<string, number[]> | undefined;
  private searches = 0;

  constructor(private readonly btf: Btf) {
    const count = btf.starts.length;
    let capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.keys = new Uint32Array(capacity);
    this.heads = new Uint32Array(capacity);
    this.next = new Uint32Array(count);
    const { words, starts } = btf;
    // Insert in reverse id order at the chain head, so every chain lists ids ascending.
    for (let local = count - 1; local >= 0; local--) {
      const off = words[starts[local]];
      if (off === 0) continue;
      const slot = this.slot(off);
      this.keys[slot] = off + 1;
      this.next[local] = this.heads[slot];
      this.heads[slot] = local + 1;
    }
  }

  private slot(off: number): number {
    let h = Math.imul(off, 0x9e3779b1) & this.mask;
    for (;;) {
      const key = this.keys[h];
      if (key === 0 || key === off + 1) return h;
      h = (h + 1) & this.mask;
    }
  }

  /** Own ids named `name`, ascending. */
  lookup(name: string): readonly number[] {
    if (name === "") return NO_IDS;
    if (this.full) return this.full.get(name) ?? NO_IDS;
    const cached = this.cache.get(name);
    if (cached) return cached;
    // A name holding U+FFFD came from bytes that are not valid UTF-8: searching its re-encoding would miss it.
    if (++this.searches > FULL_MAP_AFTER || name.includes("\ufffd")) {
      this.full = this.buildFull();
      return this.full.get(name) ?? NO_IDS;
    }
    const ids: number[] = [];
    for (const off of this.btf.strings.offsetsOf(name)) {
      let local = this.heads[this.slot(off)];
      while (local !== 0) {
        ids.push(local - 1 + this.btf.firstOwnId);
        local = this.next[local - 1];
      }
    }
    if (ids.length > 1) ids.sort((a, b) => a - b);
    this.cache.set(name, ids);
    return ids;
  }

  private buildFull(): Map<string, number[]> {
    const map = new Map<string, number[]>();
    const { words, starts, strings, firstOwnId } = this.btf;
    for (let local = 0; local < starts.length; local++) {
      const off = words[starts[local]];
      if (off === 0) continue;
      const name = strings.at(off) ?? "";
      const ids = map.get(name);
      if (ids) ids.push(local + firstOwnId);
      else map.set(name, [local + firstOwnId]);
    }
    return map;
  }
}
