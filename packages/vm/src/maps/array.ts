// BPF_MAP_TYPE_ARRAY: max_entries values, preallocated and zeroed, keyed by a u32 index; elements are 8-byte
// aligned as in the kernel. Global data (.data, .rodata, .bss) are one-element arrays.

import type { Region, VmMemory } from "../memory.js";
import type { ArrayLayout } from "../program.js";
import { badUpdateFlags, Errno, UpdateFlags, u32At, u32Bytes, type VmMap, valueStride } from "./map.js";

export class ArrayMap implements VmMap {
  readonly region: Region;
  private readonly elementSize: number;

  constructor(
    private readonly memory: VmMemory,
    readonly type: number,
    readonly keySize: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly flags: number,
    readonly name: string,
  ) {
    this.elementSize = valueStride(valueSize);
    this.region = memory.allocate(`map ${name}`, this.elementSize * maxEntries, true);
  }

  /** Where the values are, for lookups compiled inline. */
  get layout(): ArrayLayout {
    return { start: this.region.start, elementSize: this.elementSize, maxEntries: this.maxEntries };
  }

  private index(key: Uint8Array): number {
    return u32At(key);
  }

  lookup(key: Uint8Array): number | undefined {
    const i = this.index(key);
    return i < this.maxEntries ? this.region.start + i * this.elementSize : undefined;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (badUpdateFlags(flags)) return Errno.EINVAL;
    const at = this.lookup(key);
    if (at === undefined) return Errno.E2BIG;
    if (flags & UpdateFlags.NOEXIST) return Errno.EEXIST;
    // BPF_F_LOCK takes the value's bpf_spin_lock, which VM values never have (the kernel's EINVAL without one).
    if (flags & UpdateFlags.LOCK) return Errno.EINVAL;
    this.value(at).set(value.subarray(0, this.valueSize));
    return 0;
  }

  delete(): number {
    return Errno.EINVAL;
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    // A key past the end restarts from the first, as the kernel's array_map_get_next_key does.
    const index = key === null ? this.maxEntries : this.index(key);
    const next = index >= this.maxEntries ? 0 : index + 1;
    if (next >= this.maxEntries) return undefined;
    return u32Bytes(next);
  }

  value(address: number): Uint8Array {
    return this.memory.at(address, this.valueSize);
  }
}
