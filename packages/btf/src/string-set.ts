// A set of NUL-terminated byte strings laid out like a BTF string section, with lookup by content (libbpf's
// strset). Strings are compared as bytes (no text decoding), and an existing section can be indexed, first
// occurrence winning, as libbpf's string index does. Dedup's string pass and BtfBuilder's strings are built on it.

export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes [start, end). */
export function hashBytes(src: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (src[i] as number), FNV_PRIME);
  return h;
}

/**
 * The slot and hash arrays of `size` entries: up to 16 each on V8's heap (typed arrays of up to 64 bytes live
 * there, cheaply), bigger ones in one shared buffer (one allocation, ~1 us, not two).
 */
function slotArrays(size: number): [Int32Array, Int32Array] {
  if (size <= 16) return [new Int32Array(size), new Int32Array(size)];
  const buffer = new ArrayBuffer(size * 8);
  return [new Int32Array(buffer, 0, size), new Int32Array(buffer, size * 4, size)];
}

export class StringSet {
  private data: Uint8Array;
  private used: number;
  /** Open addressing: offset + 1 of a string start, 0 = empty slot. */
  private slots: Int32Array;
  private slotHashes: Int32Array;
  private count = 0;

  private constructor(data: Uint8Array, used: number, expected: number) {
    this.data = data;
    this.used = used;
    let size = 16;
    while (size < expected * 2) size *= 2;
    [this.slots, this.slotHashes] = slotArrays(size);
  }

  /** An empty table sized for about `bytes` bytes of string data in `strings` strings (it grows past that). */
  static withCapacity(bytes: number, strings: number): StringSet {
    return new StringSet(new Uint8Array(Math.max(bytes, 16)), 0, strings);
  }

  /**
   * Indexes the strings of an existing section. Not copied unless `growable`: without it the set must not be
   * added to afterwards.
   */
  static ofSection(section: Uint8Array, growable = false): StringSet {
    let strings = 0;
    for (let i = 0; i < section.length; i++) if (section[i] === 0) strings++;
    let data = section;
    if (growable) {
      data = new Uint8Array(Math.max(64, section.length * 2));
      data.set(section);
    }
    const table = new StringSet(data, section.length, strings);
    for (let off = 0; off < section.length; ) {
      let end = section.indexOf(0, off);
      if (end < 0) end = section.length;
      const hash = hashBytes(section, off, end);
      if (table.find(section, off, end, hash) < 0) table.insertSlot(hash, off);
      off = end + 1;
    }
    return table;
  }

  get bytes(): Uint8Array {
    return this.data.subarray(0, this.used);
  }

  /** Offset of the string equal to src[start, end), or -1. */
  find(src: Uint8Array, start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    const len = end - start;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = this.slots[i] as number;
      if (slot === 0) return -1;
      if (this.slotHashes[i] !== hash) continue;
      const off = slot - 1;
      if (off + len >= this.used || this.data[off + len] !== 0) continue;
      let same = true;
      for (let k = 0; k < len; k++) {
        if (this.data[off + k] !== src[start + k]) {
          same = false;
          break;
        }
      }
      if (same) return off;
    }
  }

  /**
   * Makes room for about `bytes` more bytes in `strings` more strings, so adding them neither copies the data
   * nor rehashes (a caller appending a whole string section knows both up front). When it must grow, it grows
   * to twice what is needed: the next reserve of the same size (the next input of a link) then fits as well.
   */
  reserve(bytes: number, strings: number): void {
    const needed = this.used + bytes;
    if (needed > this.data.length) {
      const bigger = new Uint8Array(Math.max(this.data.length * 2, needed * 2));
      bigger.set(this.data.subarray(0, this.used));
      this.data = bigger;
    }
    let slots = this.slots.length;
    while ((this.count + strings) * 2 > slots) slots *= 2;
    if (slots > this.slots.length) this.rehash(slots * 2);
  }

  /** Offset of src[start, end) in the table, appended if absent. */
  add(src: Uint8Array, start: number, end: number, hash: number): number {
    const found = this.find(src, start, end, hash);
    if (found >= 0) return found;
    const len = end - start;
    if (this.used + len + 1 > this.data.length) {
      let size = this.data.length * 2;
      while (size < this.used + len + 1) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(this.data.subarray(0, this.used));
      this.data = bigger;
    }
    const off = this.used;
    const data = this.data;
    for (let k = 0; k < len; k++) data[off + k] = src[start + k] as number;
    data[off + len] = 0;
    this.used += len + 1;
    this.insertSlot(hash, off);
    return off;
  }

  private insertSlot(hash: number, off: number): void {
    if ((this.count + 1) * 2 > this.slots.length) this.rehash();
    const mask = this.slots.length - 1;
    let i = hash & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = off + 1;
    this.slotHashes[i] = hash;
    this.count++;
  }

  private rehash(size = this.slots.length * 2): void {
    const oldSlots = this.slots;
    const oldHashes = this.slotHashes;
    [this.slots, this.slotHashes] = slotArrays(size);
    const mask = this.slots.length - 1;
    for (let j = 0; j < oldSlots.length; j++) {
      const slot = oldSlots[j] as number;
      if (slot === 0) continue;
      let i = (oldHashes[j] as number) & mask;
      while (this.slots[i] !== 0) i = (i + 1) & mask;
      this.slots[i] = slot;
      this.slotHashes[i] = oldHashes[j] as number;
    }
  }
}
