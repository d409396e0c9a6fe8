// BPF_MAP_TYPE_BLOOM_FILTER: push adds a value, peek answers 0 when the value may be present and ENOENT when it
// is certainly absent. Like the kernel's (kernel/bpf/bloom_filter.c), it has map_extra's low 4 bits hash
// functions (5 when 0) over a bitset of about 7/5 bits per entry and hash function, rounded up to a power of two.
// The hashes differ from the kernel's jhash with its random seed, so which absent values happen to test positive
// differs too; no value that was pushed ever tests absent, in either.

import { Errno, type ValueMap } from "./map.js";

export class BloomFilterMap implements ValueMap {
  readonly keySize = 0;
  private readonly bits: Uint32Array;
  private readonly mask: number;
  private readonly hashes: number;

  constructor(
    readonly type: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly flags: number,
    readonly name: string,
    mapExtra: number,
  ) {
    this.hashes = mapExtra & 0xf || 5;
    let size = 32;
    while (size < (maxEntries * this.hashes * 7) / 5) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  private hash(value: Uint8Array, seed: number): number {
    let h = 0x811c9dc5 ^ Math.imul(seed + 1, 0x9e3779b1);
    for (let i = 0; i < this.valueSize; i++) h = Math.imul(h ^ value[i]!, 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    return (h ^ (h >>> 15)) & this.mask;
  }

  push(value: Uint8Array, flags: number): number {
    if (flags !== 0) return Errno.EINVAL;
    for (let i = 0; i < this.hashes; i++) {
      const bit = this.hash(value, i);
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    return 0;
  }

  peek(value: Uint8Array): number {
    for (let i = 0; i < this.hashes; i++) {
      const bit = this.hash(value, i);
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return Errno.ENOENT;
    }
    return 0;
  }

  pop(): number {
    return Errno.EOPNOTSUPP;
  }

  lookup(): number | undefined {
    return undefined;
  }
  update(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }
  delete(): number {
    return Errno.EOPNOTSUPP;
  }
  nextKey(): Uint8Array | undefined {
    return undefined;
  }
  value(): Uint8Array {
    return new Uint8Array(0);
  }
}
