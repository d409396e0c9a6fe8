// A growable, deduplicated string section for BtfBuilder. Starting from an existing table keeps its bytes
// verbatim (so unmodified BTF re-encodes byte for byte); the text→offset map is built only when a string is added.

import { Buffer } from "node:buffer";
import { BtfError } from "./errors.js";
import type { StringTable } from "./strings.js";

export class StringBuilder {
  private bytes: Uint8Array;
  private length: number;
  private index: Map<string, number> | undefined;
  private readonly encoder = new TextEncoder();

  /**
   * @param firstOffset offset of this section's first byte (the base's string length for split BTF)
   * @param base the base table, searched first when adding (split BTF reuses base strings)
   */
  constructor(
    initial: Uint8Array,
    readonly firstOffset: number,
    private readonly base: StringTable | undefined,
  ) {
    this.bytes = new Uint8Array(Math.max(64, initial.length * 2));
    this.bytes.set(initial);
    this.length = initial.length;
  }

  /** One past the last valid offset. */
  get end(): number {
    return this.firstOffset + this.length;
  }

  /** The string at `offset`, or undefined when out of range. */
  at(offset: number): string | undefined {
    if (offset < this.firstOffset) return this.base?.at(offset);
    const local = offset - this.firstOffset;
    if (local >= this.length) return undefined;
    let end = this.bytes.indexOf(0, local);
    if (end < 0 || end > this.length) end = this.length;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + local, end - local).toString("utf8");
  }

  /** Offset of `text`, adding it when absent. "" is 0 (a base table starts with NUL). */
  add(text: string): number {
    if (text === "") return 0;
    if (this.base) {
      const inBase = this.base.offsetsOf(text);
      if (inBase.length > 0) return inBase[0];
    }
    if (!this.index) this.index = this.buildIndex();
    const known = this.index.get(text);
    if (known !== undefined) return known;
    const encoded = this.encoder.encode(text);
    if (encoded.includes(0)) throw new BtfError("BAD_ARGUMENT", `string ${JSON.stringify(text)} contains a NUL byte`);
    this.ensure(encoded.length + 1);
    const offset = this.end;
    this.bytes.set(encoded, this.length);
    this.bytes[this.length + encoded.length] = 0;
    this.length += encoded.length + 1;
    this.index.set(text, offset);
    return offset;
  }

  /** The section bytes (a copy). */
  toBytes(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  private buildIndex(): Map<string, number> {
    const map = new Map<string, number>();
    const buffer = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.length);
    let start = 0;
    while (start < this.length) {
      let end = this.bytes.indexOf(0, start);
      if (end < 0 || end > this.length) end = this.length;
      if (end > start) {
        const text = buffer.toString("utf8", start, end);
        if (!map.has(text)) map.set(text, start + this.firstOffset);
      }
      start = end + 1;
    }
    return map;
  }
}
