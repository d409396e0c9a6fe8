// Output as bytes, for the dumps of vmlinux (12-18 MB): names are copied straight from the string section and
// numbers written as ASCII digits, so no JS string is built per line. Full chunks go to the consumer.

import type { StringTable } from "./strings.js";

const CHUNK = 1 << 16;
const encoder = new TextEncoder();

/** Constant text, encoded once. */
export function ascii(text: string): Uint8Array {
  return encoder.encode(text);
}

export class ByteSink {
  private buf = new Uint8Array(CHUNK);
  private pos = 0;
  private readonly digits = new Uint8Array(24);

  /**
   * @param consume receives each full chunk. The chunk is a view of the sink's buffer, valid only during the call
   *   (write it or copy it): reusing one buffer keeps a 12 MB dump from allocating 12 MB of chunks.
   */
  constructor(private readonly consume: (chunk: Uint8Array) => void) {}

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(n);
  }

  /** Hands over what is buffered (the consumer owns the chunk). */
  flush(): void {
    if (this.pos === 0) return;
    this.consume(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  /** Passes a finished block straight to the consumer (after what is buffered); same lifetime rules. */
  block(bytes: Uint8Array): void {
    this.flush();
    if (bytes.length > 0) this.consume(bytes);
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.flush();
    this.buf[this.pos++] = b;
  }

  bytes(bytes: Uint8Array): void {
    this.room(bytes.length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i];
    this.pos = pos;
  }

  /** A non-negative integer below 2^53. */
  uint(value: number): void {
    if (value < 10) {
      this.byte(48 + value);
      return;
    }
    const digits = this.digits;
    let n = 0;
    while (value > 0) {
      const q = Math.floor(value / 10);
      digits[n++] = 48 + (value - q * 10);
      value = q;
    }
    this.room(n);
    const buf = this.buf;
    let pos = this.pos;
    while (n > 0) buf[pos++] = digits[--n];
    this.pos = pos;
  }

  int(value: number): void {
    if (value < 0) {
      this.byte(45);
      this.uint(-value);
    } else {
      this.uint(value);
    }
  }

  /** Short ASCII text (numbers as bigint strings and the like). */
  text(value: string): void {
    this.room(value.length);
    for (let i = 0; i < value.length; i++) this.buf[this.pos++] = value.charCodeAt(i);
  }

  /**
   * The string at `offset` of `table` exactly as stored (no decoding). With `escapeOf`, bytes that bpftool's
   * json_writer escapes are escaped the same way. Returns false when the offset is out of range.
   */
  string(table: StringTable, offset: number, escapeOf: ((b: number) => number) | undefined): boolean {
    let t: StringTable | undefined = table;
    while (t && offset < t.firstOffset) t = t.base;
    if (!t || offset >= t.end) return false;
    const src = t.bytes;
    const srcEnd = src.length;
    // Copy up to the NUL in one pass (no indexOf call per name); a full buffer is flushed and reused.
    const buf = this.buf;
    const limit = buf.length - 1;
    let pos = this.pos;
    for (let i = offset - t.firstOffset; i < srcEnd; i++) {
      const b = src[i];
      if (b === 0) break;
      if (pos >= limit) {
        this.pos = pos;
        this.flush();
        pos = 0;
      }
      const esc = escapeOf === undefined ? 0 : escapeOf(b);
      if (esc === 0) buf[pos++] = b;
      else {
        buf[pos++] = 92;
        buf[pos++] = esc;
      }
    }
    this.pos = pos;
    return true;
  }
}

/** Collects a sink's output into one string (UTF-8). */
export function collectText(produce: (sink: ByteSink) => void): string {
  return new TextDecoder().decode(collectBytes(produce));
}

export function collectBytes(produce: (sink: ByteSink) => void): Uint8Array {
  const chunks: Uint8Array[] = [];
  const sink = new ByteSink((c) => chunks.push(c.slice()));
  produce(sink);
  sink.flush();
  return concatBytes(chunks);
}

/** The pieces one after another in one new array (the piece itself when there is only one). */
export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}
