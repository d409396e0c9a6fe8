// Name lookups over one blob's own types, built on first use without decoding any name: types are hashed by
// the bytes of their name (FNV-1a, straight from the string section) into a typed-array hash table whose chains
// list ids in ascending order. A lookup encodes the query once, hashes it and compares bytes along one chain.
// Names whose bytes are not valid UTF-8 cannot be matched by re-encoding; such queries (they contain U+FFFD)
// fall back to a map of decoded names, built only then.

import type { Btf } from "./btf.js";
import type { StringTable } from "./strings.js";
import { recordWasmOutcome } from "./wasm/instance.js";
import { wasmHashNames } from "./wasm/scan-wasm.js";

const NO_IDS: readonly number[] = [];
/** From this many types on, a base BTF's names are hashed in WebAssembly. */
const WASM_MIN_TYPES = 4096;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;
const encoder = new TextEncoder();

/** The table that holds `offset` and the offset inside its bytes. */
function locate(table: StringTable, offset: number): [Uint8Array, number] {
  let t = table;
  while (offset < t.firstOffset && t.base) t = t.base;
  return [t.bytes, offset - t.firstOffset];
}

export class NameIndex {
  private readonly slotHash: Uint32Array;
  private readonly slotHead: Uint32Array;
  private readonly next: Uint32Array;
  private readonly mask: number;
  private readonly cache = new Map<string, readonly number[]>();
  private decoded: Map<string, number[]> | undefined;

  constructor(private readonly btf: Btf) {
    const count = btf.starts.length;
    let capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    this.mask = capacity - 1;
    const { words, starts, strings } = btf;
    // Large base BTF (vmlinux): hash in WebAssembly, like the type scan (a one-shot loop over ~1.5 MB of names).
    const fast =
      !btf.base && count >= WASM_MIN_TYPES ? wasmHashNames(words, starts, strings.bytes, capacity) : undefined;
    if (fast) {
      recordWasmOutcome("names", "complete"); // for tests: the fallback below gives the same index
      this.slotHash = fast.slotHash;
      this.slotHead = fast.slotHead;
      this.next = fast.next;
      return;
    }
    this.slotHash = new Uint32Array(capacity);
    this.slotHead = new Uint32Array(capacity);
    this.next = new Uint32Array(count);
    const own = strings.bytes;
    const ownFirst = strings.firstOffset;
    // Insert in reverse id order at the chain head, so every chain lists ids ascending.
    for (let local = count - 1; local >= 0; local--) {
      const off = words[starts[local]];
      if (off === 0) continue;
      let bytes = own;
      let i = off - ownFirst;
      if (i < 0) [bytes, i] = locate(strings, off);
      let h = FNV_OFFSET;
      for (let b = bytes[i]; b !== 0 && i < bytes.length; b = bytes[++i]) h = Math.imul(h ^ b, FNV_PRIME);
      const slot = this.slot(h >>> 0);
      this.slotHash[slot] = h >>> 0;
      this.next[local] = this.slotHead[slot];
      this.slotHead[slot] = local + 1;
    }
  }

  /** Slot holding hash `h`, or the empty slot where it would go. */
  private slot(h: number): number {
    let s = h & this.mask;
    for (;;) {
      if (this.slotHead[s] === 0 || this.slotHash[s] === h) return s;
      s = (s + 1) & this.mask;
    }
  }

  /** Own ids named `name`, ascending. */
  lookup(name: string): readonly number[] {
    if (name === "") return NO_IDS;
    const cached = this.cache.get(name);
    if (cached) return cached;
    const ids = name.includes("\ufffd") ? (this.decodedNames().get(name) ?? NO_IDS) : this.search(name);
    this.cache.set(name, ids);
    return ids;
  }

  private search(name: string): readonly number[] {
    const query = encoder.encode(name);
    let h = FNV_OFFSET;
    for (let i = 0; i < query.length; i++) h = Math.imul(h ^ query[i], FNV_PRIME);
    let local = this.slotHead[this.slot(h >>> 0)];
    if (local === 0) return NO_IDS;
    const { words, starts, strings, firstOwnId } = this.btf;
    const ids: number[] = [];
    for (; local !== 0; local = this.next[local - 1]) {
      const [bytes, at] = locate(strings, words[starts[local - 1]]);
      if (equalsAt(bytes, at, query)) ids.push(local - 1 + firstOwnId);
    }
    return ids;
  }

  private decodedNames(): Map<string, number[]> {
    if (this.decoded) return this.decoded;
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
    this.decoded = map;
    return map;
  }
}

/** Whether the NUL-terminated string at `at` is exactly `query`. */
function equalsAt(bytes: Uint8Array, at: number, query: Uint8Array): boolean {
  if (at + query.length > bytes.length) return false;
  for (let i = 0; i < query.length; i++) if (bytes[at + i] !== query[i]) return false;
  return at + query.length === bytes.length || bytes[at + query.length] === 0;
}
