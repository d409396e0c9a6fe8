// The canonical-candidate index: type signature hash -> canonical type ids with that hash.
//
// When several canonical types share a hash and more than one would match, libbpf takes the first one its
// hashmap yields, so the winner depends on that hashmap's chain order: new entries go to the head of their
// bucket, and every time the table grows (when (size + 1) * 4 / 3 > capacity, doubling from 4) each chain is
// rebuilt by re-inserting at the head, which reverses the order of entries with equal keys. We reproduce that
// order exactly (and nothing else about the hashmap) so that dedup picks the same canonical types as libbpf.
//
// Storage is typed arrays: an open-addressing table from hash to a per-hash linked list of entries, each list
// stamped with the growth count its order reflects and reversed lazily when read or extended.

import type { Scratch } from "../scratch.js";

/** End of a list. */
export const NO_ENTRY = -1;

/** The initial table's slot and entry counts for about `expected` entries. */
export function candidateTableSize(expected: number): { slots: number; entries: number } {
  let slots = 16;
  while (slots < expected * 2) slots *= 2;
  return { slots, entries: Math.max(16, expected) };
}

export class CandidateTable {
  // libbpf's hashmap bookkeeping, only to know when it grows.
  private size = 0;
  private capacity = 0;
  private growths = 0;

  // Hash -> list: open addressing over slotKeys, slotHead = first entry + 1 (0 = empty slot).
  private slotKeys: Int32Array;
  private slotHead: Int32Array;
  private slotGrowths: Int32Array;
  private lists = 0;

  // Entries: the type id and the next entry of the same list.
  private entryId: Int32Array;
  private entryNext: Int32Array;
  private entries = 0;

  /** Sized for about `expected` entries (it grows past that): a small BTF does not pay for a big table. */
  constructor(expected: number, scratch: Scratch) {
    const { slots, entries } = candidateTableSize(expected);
    // The initial arrays come from the dedup call's scratch memory (growing replaces them one by one); only the
    // heads must start zeroed (0: empty slot), the rest is written before it is read.
    this.slotKeys = scratch.i32(slots);
    this.slotHead = scratch.zeroedI32(slots);
    this.slotGrowths = scratch.i32(slots);
    this.entryId = scratch.i32(entries);
    this.entryNext = scratch.i32(entries);
  }

  add(hash: number, typeId: number): void {
    if (this.capacity === 0 || Math.floor(((this.size + 1) * 4) / 3) > this.capacity) {
      this.capacity = this.capacity === 0 ? 4 : this.capacity * 2;
      this.growths++;
    }
    this.size++;
    if (this.entries === this.entryId.length) {
      this.entryId = grow(this.entryId);
      this.entryNext = grow(this.entryNext);
    }
    const entry = this.entries++;
    this.entryId[entry] = typeId;
    let slot = this.findSlot(hash);
    if (this.slotHead[slot] === 0) {
      if ((this.lists + 1) * 2 > this.slotKeys.length) {
        this.rehash();
        slot = this.findSlot(hash);
      }
      this.lists++;
      this.slotKeys[slot] = hash;
      this.slotGrowths[slot] = this.growths;
      this.entryNext[entry] = NO_ENTRY;
    } else {
      this.normalize(slot);
      this.entryNext[entry] = (this.slotHead[slot] as number) - 1;
    }
    this.slotHead[slot] = entry + 1;
  }

  /** First entry for this hash in libbpf's order, or NO_ENTRY. Valid until the next add(). */
  first(hash: number): number {
    const slot = this.findSlot(hash);
    if (this.slotHead[slot] === 0) return NO_ENTRY;
    this.normalize(slot);
    return (this.slotHead[slot] as number) - 1;
  }

  next(entry: number): number {
    return this.entryNext[entry] as number;
  }

  typeId(entry: number): number {
    return this.entryId[entry] as number;
  }

  private findSlot(hash: number): number {
    const mask = this.slotKeys.length - 1;
    let i = (Math.imul(hash, 0x9e3779b1) >>> 0) & mask;
    while (this.slotHead[i] !== 0 && this.slotKeys[i] !== hash) i = (i + 1) & mask;
    return i;
  }

  /** Applies the reversals of the growths that happened since this list's order was last brought up to date. */
  private normalize(slot: number): void {
    if (((this.growths - (this.slotGrowths[slot] as number)) & 1) === 1) {
      let prev = NO_ENTRY;
      let cur = (this.slotHead[slot] as number) - 1;
      while (cur !== NO_ENTRY) {
        const next = this.entryNext[cur] as number;
        this.entryNext[cur] = prev;
        prev = cur;
        cur = next;
      }
      this.slotHead[slot] = prev + 1;
    }
    this.slotGrowths[slot] = this.growths;
  }

  private rehash(): void {
    const keys = this.slotKeys;
    const heads = this.slotHead;
    const stamps = this.slotGrowths;
    this.slotKeys = new Int32Array(keys.length * 2);
    this.slotHead = new Int32Array(keys.length * 2);
    this.slotGrowths = new Int32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (heads[i] === 0) continue;
      const slot = this.findSlot(keys[i] as number);
      this.slotKeys[slot] = keys[i] as number;
      this.slotHead[slot] = heads[i] as number;
      this.slotGrowths[slot] = stamps[i] as number;
    }
  }
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}
