// BPF_MAP_TYPE_HASH (and LRU_HASH): up to max_entries key/value pairs. Values sit in preallocated slots of one
// region (as the kernel preallocates), so a pointer from a lookup stays valid while the element exists; a deleted
// slot is reused. Iteration follows insertion order (the kernel's bucket order is not reproducible; callers
// compare sets). An LRU map, when full, makes room by evicting the least recently used element (updated or
// looked up by a program), where a plain hash map refuses with E2BIG.

import type { Region, VmMemory } from "../memory.js";
import { Errno, UpdateFlags, type VmMap } from "./map.js";

function keyOf(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

export class HashMap implements VmMap {
  readonly region: Region;
  private readonly elementSize: number;
  private readonly slots = new Map<string, number>();
  private readonly keys = new Map<string, Uint8Array>();
  private readonly free: number[] = [];
  private used = 0;

  constructor(
    private readonly memory: VmMemory,
    private readonly lru: boolean,
    readonly type: number,
    readonly keySize: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly flags: number,
    readonly name: string,
  ) {
    this.elementSize = Math.ceil(valueSize / 8) * 8;
    this.region = memory.allocate(`map ${name}`, this.elementSize * maxEntries, true);
  }

  lookup(key: Uint8Array): number | undefined {
    const k = keyOf(key.subarray(0, this.keySize));
    const slot = this.slots.get(k);
    if (slot === undefined) return undefined;
    if (this.lru) this.touch(k, slot);
    return this.region.start + slot * this.elementSize;
  }

  /** Moves `k` to the most recently used end (Map order is the recency order). */
  private touch(k: string, slot: number): void {
    const key = this.keys.get(k)!;
    this.slots.delete(k);
    this.keys.delete(k);
    this.slots.set(k, slot);
    this.keys.set(k, key);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    const k = keyOf(key.subarray(0, this.keySize));
    let slot = this.slots.get(k);
    const mode = flags & 3;
    if (slot !== undefined && mode === UpdateFlags.NOEXIST) return Errno.EEXIST;
    if (slot === undefined) {
      if (mode === UpdateFlags.EXIST) return Errno.ENOENT;
      slot = this.free.pop() ?? (this.used < this.maxEntries ? this.used++ : undefined);
      if (slot === undefined && this.lru) {
        const [oldest, oldestSlot] = this.slots.entries().next().value as [string, number];
        this.slots.delete(oldest);
        this.keys.delete(oldest);
        slot = oldestSlot;
      }
      if (slot === undefined) return Errno.E2BIG;
      this.slots.set(k, slot);
      this.keys.set(k, key.slice(0, this.keySize));
    } else if (this.lru) this.touch(k, slot);
    this.value(this.region.start + slot * this.elementSize).set(value.subarray(0, this.valueSize));
    return 0;
  }

  delete(key: Uint8Array): number {
    const k = keyOf(key.subarray(0, this.keySize));
    const slot = this.slots.get(k);
    if (slot === undefined) return Errno.ENOENT;
    this.slots.delete(k);
    this.keys.delete(k);
    this.free.push(slot);
    return 0;
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    const all = [...this.keys.values()];
    if (key === null) return all[0];
    const k = keyOf(key.subarray(0, this.keySize));
    const order = [...this.keys.keys()];
    const at = order.indexOf(k);
    // A key that is gone restarts from the first, as the kernel does.
    return at < 0 ? all[0] : all[at + 1];
  }

  value(address: number): Uint8Array {
    const offset = this.region.offset + (address - this.region.start);
    return this.memory.bytes.subarray(offset, offset + this.valueSize);
  }
}
