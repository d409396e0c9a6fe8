// The string section of a BTF blob: NUL-separated names, addressed by byte offset. Split BTF continues its
// base's offsets (own offset 0 = base length), so a lookup below `firstOffset` is the base's business.
// Strings are decoded only when asked and cached, because most callers touch a small part of vmlinux's 2.5 MB.

import { type ByteSearch, byteSearch } from "./host.js";

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

export class StringTable {
  /** First offset this table owns (the base's length for split BTF, else 0). */
  readonly firstOffset: number;
  /** One past the last valid offset, base included. */
  readonly end: number;
  private readonly cache = new Map<number, string>();
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
