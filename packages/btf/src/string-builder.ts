// A growable, deduplicated string section for BtfBuilder (a StringSet). Starting from an existing table keeps its
// bytes verbatim (so unmodified BTF re-encodes byte for byte); the index is built only when a string is added.
// Strings copied from another section are added as bytes, never decoded.

import { BtfError } from "./errors.js";
import { hashBytes, StringSet } from "./string-set.js";
import type { StringTable } from "./strings.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reused by asciiBytes: names are added one at a time and copied into the set before the next. */
let scratch = new Uint8Array(256);

/**
 * `text` in a scratch buffer when it is ASCII without NUL (nearly every name), else undefined: TextEncoder's
 * call and its result array cost more than the copy.
 */
function asciiBytes(text: string): Uint8Array | undefined {
  if (text.length > scratch.length) scratch = new Uint8Array(Math.max(text.length, scratch.length * 2));
  const out = scratch;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0 || code >= 0x80) return undefined;
    out[i] = code;
  }
  return out;
}

export class StringBuilder {
  private initial: Uint8Array;
  private set: StringSet | undefined;

  /**
   * @param firstOffset offset of this section's first byte (the base's string length for split BTF)
   * @param base the base table, searched first when adding (split BTF reuses base strings)
   */
  constructor(
    initial: Uint8Array,
    readonly firstOffset: number,
    private readonly base: StringTable | undefined,
  ) {
    this.initial = initial;
  }

  private get bytes(): Uint8Array {
    return this.set ? this.set.bytes : this.initial;
  }

  /** One past the last valid offset. */
  get end(): number {
    return this.firstOffset + this.bytes.length;
  }

  /** The string at `offset`, or undefined when out of range. */
  at(offset: number): string | undefined {
    if (offset < this.firstOffset) return this.base?.at(offset);
    const bytes = this.bytes;
    const local = offset - this.firstOffset;
    if (local >= bytes.length) return undefined;
    let end = bytes.indexOf(0, local);
    if (end < 0) end = bytes.length;
    return decoder.decode(bytes.subarray(local, end));
  }

  /** Offset of `text`, adding it when absent. "" is 0 (a base table starts with NUL). */
  add(text: string): number {
    if (text === "") return 0;
    if (this.base) {
      const inBase = this.base.offsetsOf(text);
      if (inBase.length > 0) return inBase[0];
    }
    const ascii = asciiBytes(text);
    if (ascii) return this.addOwn(ascii, 0, text.length);
    const encoded = encoder.encode(text);
    if (encoded.includes(0)) throw new BtfError("BAD_ARGUMENT", `string ${JSON.stringify(text)} contains a NUL byte`);
    return this.addOwn(encoded, 0, encoded.length);
  }

  /** Offset of the string src[start, end) (no NUL inside), adding it when absent; nothing is decoded. */
  addBytes(src: Uint8Array, start: number, end: number): number {
    if (end === start) return 0;
    if (this.base) return this.add(decoder.decode(src.subarray(start, end)));
    return this.addOwn(src, start, end);
  }

  /** Room for about `bytes` more bytes in `strings` more strings (nothing to do over a base: adds are decoded). */
  reserve(bytes: number, strings: number): void {
    if (this.base) return;
    this.set ??= StringSet.ofSection(this.initial, true);
    this.set.reserve(bytes, strings);
  }

  private addOwn(src: Uint8Array, start: number, end: number): number {
    this.set ??= StringSet.ofSection(this.initial, true);
    return this.firstOffset + this.set.add(src, start, end, hashBytes(src, start, end));
  }

  /** The section bytes, not copied: valid until the next add (for writers that copy them anyway). */
  view(): Uint8Array {
    return this.bytes;
  }

  /** The section bytes (a copy). */
  toBytes(): Uint8Array {
    return this.bytes.slice();
  }
}
