// The string section of a BTF blob: NUL-separated names, addressed by byte offset. Split BTF continues its
// base's offsets (own offset 0 = base length), so a lookup below `firstOffset` is the base's business.
// Strings are decoded only when asked and cached, because most callers touch a small part of vmlinux's 2.5 MB.

import { Buffer } from "node:buffer";

/** Tables up to this size are decoded whole when they are ASCII (a BPF object's; not vmlinux's 2.5 MB). */
const WHOLE_TEXT_LIMIT = 8 * 1024;
const ascii = new TextDecoder();

function wholeText(bytes: Uint8Array): string | null {
  if (bytes.length > WHOLE_TEXT_LIMIT) return null;
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return null;
  return ascii.decode(bytes);
}

export class StringTable {
  /** First offset this table owns (the base's length for split BTF, else 0). */
  readonly firstOffset: number;
  /** One past the last valid offset, base included. */
  readonly end: number;
  /** Decoded strings of a big table (made on first use: a small one is read from `text`). */
  private cache: Map<number, string> | undefined;
  private bufferView: Buffer | undefined;
  /** A small ASCII table decoded whole on first use (null: too big or not ASCII); names are slices of it. */
  private text: string | null | undefined;

  constructor(
    /** This table's own bytes (NUL-terminated strings). */
    readonly bytes: Uint8Array,
    readonly base?: StringTable,
  ) {
    this.firstOffset = base ? base.end : 0;
    this.end = this.firstOffset + bytes.length;
  }

  /** A Buffer over the same bytes, for native decoding and search; made on first use. */
  private get buffer(): Buffer {
    if (!this.bufferView)
      this.bufferView = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return this.bufferView;
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
    const text = end === local ? "" : this.buffer.toString("utf8", local, end);
    this.cache.set(offset, text);
    return text;
  }

  /** Every offset (base first, ascending) at which exactly `text` followed by NUL starts. */
  offsetsOf(text: string): number[] {
    const found = this.base ? this.base.offsetsOf(text) : [];
    const needle = Buffer.from(`${text}\0`, "utf8");
    if (text === "") {
      // Any NUL is the end of an empty string; callers only ask for "" by mistake, answer the canonical one.
      if (!this.base && this.bytes.length > 0 && this.bytes[0] === 0) found.push(0);
      return found;
    }
    let at = this.buffer.indexOf(needle, 0);
    while (at >= 0) {
      found.push(at + this.firstOffset);
      at = this.buffer.indexOf(needle, at + 1);
    }
    return found;
  }
}
