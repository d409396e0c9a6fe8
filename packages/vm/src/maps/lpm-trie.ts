// BPF_MAP_TYPE_LPM_TRIE: keys are `struct bpf_lpm_trie_key { u32 prefixlen; u8 data[]; }`, values live in slots
// of one region. A lookup finds the longest stored prefix that matches the key's data within the key's own
// prefixlen (kernel/bpf/lpm_trie.c); update and delete name a prefix exactly. Iteration is the kernel's order, a
// post-order walk of the trie: a longer prefix before the shorter one it extends, a 0 bit before a 1 bit.

import type { Region, VmMemory } from "../memory.js";
import { Errno, UpdateFlags, u32At, type VmMap, valueStride } from "./map.js";

interface Entry {
  readonly prefixlen: number;
  /** The data with bits past prefixlen cleared. */
  readonly data: Uint8Array;
  readonly slot: number;
}

export class LpmTrieMap implements VmMap {
  readonly region: Region;
  private readonly stride: number;
  private readonly maxPrefixlen: number;
  /** Stored prefixes by length, then by their masked data. */
  private readonly byLength = new Map<number, Map<string, Entry>>();
  private readonly free: number[] = [];
  private used = 0;
  private count = 0;

  constructor(
    private readonly memory: VmMemory,
    readonly type: number,
    readonly keySize: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly flags: number,
    readonly name: string,
  ) {
    this.stride = valueStride(valueSize);
    this.maxPrefixlen = 8 * (keySize - 4);
    this.region = memory.allocate(`map ${name}`, this.stride * maxEntries, true);
  }

  private masked(key: Uint8Array, prefixlen: number): Uint8Array {
    const data = key.slice(4, this.keySize);
    for (let bit = prefixlen; bit < this.maxPrefixlen; bit++) data[bit >> 3]! &= ~(0x80 >> (bit & 7));
    return data;
  }

  private find(prefixlen: number, data: Uint8Array): Entry | undefined {
    return this.byLength.get(prefixlen)?.get(data.join());
  }

  private entryOf(key: Uint8Array): Entry | undefined {
    const prefixlen = u32At(key);
    return prefixlen > this.maxPrefixlen ? undefined : this.find(prefixlen, this.masked(key, prefixlen));
  }

  lookup(key: Uint8Array): number | undefined {
    const limit = Math.min(u32At(key), this.maxPrefixlen);
    const lengths = [...this.byLength.keys()].filter((n) => n <= limit).sort((a, b) => b - a);
    for (const prefixlen of lengths) {
      const entry = this.find(prefixlen, this.masked(key, prefixlen));
      if (entry) return this.region.start + entry.slot * this.stride;
    }
    return undefined;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    const prefixlen = u32At(key);
    if (flags > UpdateFlags.EXIST || prefixlen > this.maxPrefixlen) return Errno.EINVAL;
    const data = this.masked(key, prefixlen);
    let entry = this.find(prefixlen, data);
    if (entry && flags === UpdateFlags.NOEXIST) return Errno.EEXIST;
    if (!entry) {
      if (flags === UpdateFlags.EXIST) return Errno.ENOENT;
      if (this.count === this.maxEntries) return Errno.ENOSPC;
      entry = { prefixlen, data, slot: this.free.pop() ?? this.used++ };
      const level = this.byLength.get(prefixlen) ?? new Map<string, Entry>();
      this.byLength.set(prefixlen, level);
      level.set(data.join(), entry);
      this.count++;
    }
    this.value(this.region.start + entry.slot * this.stride).set(value.subarray(0, this.valueSize));
    return 0;
  }

  delete(key: Uint8Array): number {
    const entry = this.entryOf(key);
    if (!entry) return Errno.ENOENT;
    this.byLength.get(entry.prefixlen)!.delete(entry.data.join());
    this.free.push(entry.slot);
    this.count--;
    return 0;
  }

  /** Whether `a` comes before `b` in post-order. */
  private static before(a: Entry, b: Entry): number {
    const common = Math.min(a.prefixlen, b.prefixlen);
    for (let bit = 0; bit < common; bit++) {
      const mask = 0x80 >> (bit & 7);
      const x = a.data[bit >> 3]! & mask;
      const y = b.data[bit >> 3]! & mask;
      if (x !== y) return x ? 1 : -1;
    }
    // One extends the other: the longer (the descendant) comes first.
    return b.prefixlen - a.prefixlen;
  }

  private ordered(): Entry[] {
    const all: Entry[] = [];
    for (const level of this.byLength.values()) all.push(...level.values());
    return all.sort(LpmTrieMap.before);
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    const all = this.ordered();
    // A key that is not stored restarts from the first, as the kernel does.
    const current = key === null ? undefined : this.entryOf(key);
    const next = current ? all[all.indexOf(current) + 1] : all[0];
    if (!next) return undefined;
    const out = new Uint8Array(this.keySize);
    new DataView(out.buffer).setUint32(0, next.prefixlen, true);
    out.set(next.data, 4);
    return out;
  }

  value(address: number): Uint8Array {
    return this.memory.at(address, this.valueSize);
  }
}
