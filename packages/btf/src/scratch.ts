// Memory for typed arrays that live only during one synchronous call (dedup's tables): the same buffer serves
// the next call, because a typed array with memory of its own costs ~1 us to make, more than a small BTF's
// dedup spends in some of its passes. Contents are not zeroed. Nothing handed out may outlive the call that
// began it (results the caller keeps are allocated normally).

/** Bytes kept between calls; bigger needs (a vmlinux dedup) get memory of their own, freed with them. */
const KEEP_LIMIT = 1 << 18;

let kept = new ArrayBuffer(16 * 1024);

export class Scratch {
  private buffer: ArrayBuffer = kept;
  private used = 0;

  /** Starts a call's use: everything handed out before (by any Scratch) may be overwritten from now on. */
  static begin(): Scratch {
    return new Scratch();
  }

  u32(count: number): Uint32Array<ArrayBuffer> {
    return new Uint32Array(this.take(count * 4), this.used - count * 4, count);
  }

  i32(count: number): Int32Array<ArrayBuffer> {
    return new Int32Array(this.take(count * 4), this.used - count * 4, count);
  }

  u8(count: number): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.take(count), this.used - count, count);
  }

  /** The buffer `bytes` more bytes come from (at this.used - bytes once it returns), 4-byte aligned. */
  private take(bytes: number): ArrayBuffer {
    this.used = (this.used + 3) & ~3;
    if (this.used + bytes > this.buffer.byteLength) {
      // Earlier views keep the old buffer; the rest of this call continues in a new one.
      const size = bytes > KEEP_LIMIT ? bytes : Math.max(bytes, Math.min(this.buffer.byteLength * 2, KEEP_LIMIT));
      this.buffer = new ArrayBuffer(size);
      this.used = 0;
      if (size <= KEEP_LIMIT) kept = this.buffer;
    }
    this.used += bytes;
    return this.buffer;
  }
}
