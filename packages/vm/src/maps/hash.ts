// BPF_MAP_TYPE_HASH, LRU_HASH, PERCPU_HASH, LRU_PERCPU_HASH and HASH_OF_MAPS: up to max_entries key/value pairs.
// Keys and values sit in preallocated slots of two regions (as the kernel preallocates), so a pointer from a lookup
// stays valid while the element lives, and for_each_map_elem can hand the program a key pointer (read-only). The
// index is an open-addressing table of slot numbers (linear probing, backward-shift deletion) in typed arrays, so
// a million 8-byte entries cost about 40 bytes each rather than a JavaScript object each.
//
// Elements form one list: insertion order for a plain hash (iteration follows it; the kernel's bucket order is
// not reproducible), recency order for an LRU map, which when full evicts the head (the least recently updated or
// looked-up element) where a plain hash map refuses with E2BIG.

import type { Region, VmMemory } from "../memory.js";
import { badUpdateFlags, Errno, UpdateFlags, type VmMap, valueStride } from "./map.js";

const NONE = -1;

export interface HashMapKind {
  readonly lru: boolean;
  /** Values per element: 1, or the CPU count of a per-CPU map. */
  readonly cpus: number;
}

export class HashMap implements VmMap {
  readonly region: Region;
  readonly keyRegion: Region;
  readonly cpus: number;
  private readonly lru: boolean;
  /** Bytes between two CPUs' values of one element (the kernel's 8-byte rounding). */
  private readonly stride: number;
  /** Slot + 1 per table position, 0 when empty. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly prev: Int32Array;
  /** Next element in the list; for a free slot, the next free slot. */
  private readonly next: Int32Array;
  private head = NONE;
  private tail = NONE;
  private freeHead = NONE;
  private used = 0;
  private count = 0;

  constructor(
    private readonly memory: VmMemory,
    kind: HashMapKind,
    readonly type: number,
    readonly keySize: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly flags: number,
    readonly name: string,
  ) {
    this.lru = kind.lru;
    this.cpus = kind.cpus;
    this.stride = valueStride(valueSize);
    this.keyRegion = memory.allocate(`map ${name} keys`, keySize * maxEntries, false);
    this.region = memory.allocate(`map ${name}`, this.stride * this.cpus * maxEntries, true);
    let size = 16;
    while (size < maxEntries * 2) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    this.prev = new Int32Array(maxEntries);
    this.next = new Int32Array(maxEntries);
  }

  get size(): number {
    return this.count;
  }

  private hash(bytes: Uint8Array, at: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < this.keySize; i++) h = Math.imul(h ^ bytes[at + i]!, 0x01000193);
    return (h ^ (h >>> 15)) & this.mask;
  }

  /** Table position of `key`, or of the empty position where it would go (as ~position). */
  private find(key: Uint8Array): number {
    const keys = this.memory.bytes;
    const base = this.keyRegion.offset;
    const n = this.keySize;
    for (let pos = this.hash(key, 0); ; pos = (pos + 1) & this.mask) {
      const entry = this.table[pos]!;
      if (entry === 0) return ~pos;
      const at = base + (entry - 1) * n;
      let same = true;
      for (let i = 0; i < n; i++) {
        if (keys[at + i] !== key[i]) {
          same = false;
          break;
        }
      }
      if (same) return pos;
    }
  }

  private slotOf(key: Uint8Array): number {
    const pos = this.find(key);
    return pos < 0 ? NONE : this.table[pos]! - 1;
  }

  /** The slot's CPU `cpu` value address. */
  private address(slot: number, cpu = 0): number {
    return this.region.start + (slot * this.cpus + cpu) * this.stride;
  }

  /** The key pointer of the element whose value is at `address` (for for_each_map_elem callbacks). */
  keyAddress(address: number): number {
    const slot = Math.floor((address - this.region.start) / (this.stride * this.cpus));
    return this.keyRegion.start + slot * this.keySize;
  }

  lookup(key: Uint8Array): number | undefined {
    return this.lookupOnCpu(key, 0);
  }

  /** The program's view: CPU `cpu`'s value. */
  lookupOnCpu(key: Uint8Array, cpu: number): number | undefined {
    const slot = this.slotOf(key);
    if (slot === NONE) return undefined;
    if (this.lru) this.moveToTail(slot);
    return this.address(slot, cpu);
  }

  /** All CPUs' values of `key`, packed in 8-byte slots (the host's view). */
  allCpus(key: Uint8Array): Uint8Array | undefined {
    const slot = this.slotOf(key);
    if (slot === NONE) return undefined;
    const offset = this.region.offset + slot * this.cpus * this.stride;
    return this.memory.bytes.subarray(offset, offset + this.stride * this.cpus);
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
  }

  private append(slot: number): void {
    this.prev[slot] = this.tail;
    this.next[slot] = NONE;
    if (this.tail === NONE) this.head = slot;
    else this.next[this.tail] = slot;
    this.tail = slot;
  }

  private moveToTail(slot: number): void {
    if (slot === this.tail) return;
    this.unlink(slot);
    this.append(slot);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (badUpdateFlags(flags) || flags & UpdateFlags.LOCK) return Errno.EINVAL; // no bpf_spin_lock in VM values
    const mode = flags & 3;
    let pos = this.find(key);
    let slot: number;
    if (pos >= 0) {
      if (mode === UpdateFlags.NOEXIST) return Errno.EEXIST;
      slot = this.table[pos]! - 1;
      if (this.lru) this.moveToTail(slot);
    } else {
      if (mode === UpdateFlags.EXIST) return Errno.ENOENT;
      if (this.count === this.maxEntries) {
        if (!this.lru) return Errno.E2BIG;
        this.remove(this.head);
        pos = this.find(key);
      }
      if (this.freeHead !== NONE) {
        slot = this.freeHead;
        this.freeHead = this.next[slot]!;
      } else slot = this.used++;
      this.memory.bytes.set(key.subarray(0, this.keySize), this.keyRegion.offset + slot * this.keySize);
      this.table[~pos] = slot + 1;
      this.append(slot);
      this.count++;
    }
    this.writeValue(slot, value);
    return 0;
  }

  /** The host gives one 8-byte-aligned value per CPU; a program (or a shorter host value) writes one to all. */
  private writeValue(slot: number, value: Uint8Array): void {
    const bytes = this.memory.bytes;
    const base = this.region.offset + slot * this.cpus * this.stride;
    const perCpu = this.cpus > 1 && value.length >= this.stride * this.cpus;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const from = perCpu ? cpu * this.stride : 0;
      const to = base + cpu * this.stride;
      bytes.fill(0, to, to + this.stride);
      bytes.set(value.subarray(from, from + this.valueSize), to);
    }
  }

  delete(key: Uint8Array): number {
    const pos = this.find(key);
    if (pos < 0) return Errno.ENOENT;
    this.remove(this.table[pos]! - 1, pos);
    return 0;
  }

  /** Frees `slot` and closes the gap in the table it leaves (backward-shift deletion, so no tombstones). */
  private remove(slot: number, position?: number): void {
    let pos = position ?? this.find(this.keyBytes(slot));
    this.unlink(slot);
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
    this.count--;
    const keys = this.memory.bytes;
    for (let probe = (pos + 1) & this.mask; ; probe = (probe + 1) & this.mask) {
      const entry = this.table[probe]!;
      if (entry === 0) break;
      const home = this.hash(keys, this.keyRegion.offset + (entry - 1) * this.keySize);
      // Shift the entry back when its home does not lie cyclically in (pos, probe].
      const between = pos <= probe ? home > pos && home <= probe : home > pos || home <= probe;
      if (!between) {
        this.table[pos] = entry;
        pos = probe;
      }
    }
    this.table[pos] = 0;
  }

  private keyBytes(slot: number): Uint8Array {
    const at = this.keyRegion.offset + slot * this.keySize;
    return this.memory.bytes.subarray(at, at + this.keySize);
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    // A key that is gone restarts from the first, as the kernel does.
    const slot = key === null ? NONE : this.slotOf(key);
    const next = slot === NONE ? this.head : this.next[slot]!;
    return next === NONE ? undefined : this.keyBytes(next).slice();
  }

  /** Value addresses of every element in list order, with their key addresses (for_each_map_elem). */
  *elements(): Generator<{ key: number; value: number }> {
    for (let slot = this.head; slot !== NONE; slot = this.next[slot]!) {
      yield { key: this.keyRegion.start + slot * this.keySize, value: this.address(slot) };
    }
  }

  value(address: number): Uint8Array {
    return this.memory.at(address, this.valueSize);
  }
}
