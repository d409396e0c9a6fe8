// The string section of a BTF blob: NUL-separated names, addressed by byte offset. Split BTF continues its
// base's offsets (own offset 0 = base length), so a lookup below `firstOffset` is the base's business.
// Strings are decoded only when asked and cached, because most callers touch a small part of vmlinux's 2.5 MB.

import { type ByteSearch, byteSearch } from "./host.js";

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** Tables up to this size are decoded whole when they are ASCII (a BPF object's; not vmlinux's 2.5 MB). */
const WHOLE_TEXT_LIMIT = 8 * 1024;

function wholeText(bytes: Uint8Array): string | null {
  if (bytes.length > WHOLE_TEXT_LIMIT) return null;
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return null;
  return utf8.decode(bytes);
}

export class StringTable {
  /** First offset this table owns (the base's length for split BTF, else 0). */
  readonly firstOffset: number;
  /** One past the last valid offset, base included. */
  readonly end: number;
  /** Decoded strings of a big table (made on first use: a small one is read from `text`). */
  private cache: Map<number, string> | undefined;
  /** A small ASCII table decoded whole on first use (null: too big or not ASCII); names are slices of it. */
  private text: string | null | undefined;
  /** Native search over the bytes where the host has one; made on first use. */
  private search: ByteSearch | undefined;

  constructor(
    /** This table's own bytes (NUL-terminated strings). */
    readonly bytes: Uint8Array,
    readonly base?: StringTable,
  ) {
    this.firstOffset = base ? base.end : 0;
    this.end = this.firstOffset + bytes.length;
  }

  /** Whether `offset` names a string (it may point into the middle of one: the kernel allows suffix sharing). */
  has(offset: number): boolean {
    return offset >= 0 && offset < this.end;
  }

  /** The string at `offset`, or undefined when the offset is out of range. */
  at(offset: number): string | undefined {
    if (offset < this.firstOffset) return this.base?.at(offset);
    if (this.text === undefined) this.text = wholeText(this.bytes);
    if (this.text !== null) {
      // An object's strings (a few KB) are read name by name: one decode, then slices, no cache needed.
      const local = offset - this.firstOffset;
      if (local >= this.text.length || local < 0) return undefined;
      const end = this.text.indexOf("\0", local);
      return this.text.slice(local, end < 0 ? this.text.length : end);
    }
    this.cache ??= new Map();
    const cached = this.cache.get(offset);
    if (cached !== undefined) return cached;
    const local = offset - this.firstOffset;
    if (local >= this.bytes.length || local < 0) return undefined;
    let end = this.bytes.indexOf(0, local);
    if (end < 0) end = this.bytes.length;
    const text = end === local ? "" : utf8.decode(this.bytes.subarray(local, end));
    this.cache.set(offset, text);
    return text;
  }

  /** The table that holds `offset` (this one or a base), or undefined when it is out of every table's range. */
  private holder(offset: number): StringTable | undefined {
    if (offset >= this.firstOffset) return offset < this.end ? this : undefined;
    return offset >= 0 ? this.base?.holder(offset) : undefined;
  }

  /** Whether `offset` names no string or the empty one: what `at(offset) ?? ""` gives as "". */
  isEmpty(offset: number): boolean {
    const table = this.holder(offset);
    return table === undefined || table.bytes[offset - table.firstOffset] === 0;
  }

  /**
   * Whether the string at `offset` here and the one at `otherOffset` in `other` are the same bytes (C's strcmp,
   * which is what libbpf compares names with), without decoding either. Out-of-range offsets hold no string.
   */
  sameAs(offset: number, other: StringTable, otherOffset: number): boolean {
    const a = this.holder(offset);
    const b = other.holder(otherOffset);
    if (a === undefined || b === undefined) return false;
    const x = a.bytes;
    const y = b.bytes;
    let i = offset - a.firstOffset;
    let j = otherOffset - b.firstOffset;
    for (;;) {
      const c = i < x.length ? (x[i] as number) : 0;
      const d = j < y.length ? (y[j] as number) : 0;
      if (c !== d) return false;
      if (c === 0) return true;
      i++;
      j++;
    }
  }

  /** Every offset (base first, ascending) at which exactly `text` followed by NUL starts. */
  offsetsOf(text: string): number[] {
    const found = this.base ? this.base.offsetsOf(text) : [];
    const needle = encoder.encode(`${text}\0`);
    if (text === "") {
      // Any NUL is the end of an empty string; callers only ask for "" by mistake, answer the canonical one.
      if (!this.base && this.bytes.length > 0 && this.bytes[0] === 0) found.push(0);
      return found;
    }
    this.search ??= byteSearch(this.bytes);
    for (let at = this.search(needle, 0); at >= 0; at = this.search(needle, at + 1)) found.push(at + this.firstOffset);
    return found;
  }
}
