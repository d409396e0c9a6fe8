// Memory for typed arrays that live only during one synchronous call (dedup's tables): the same buffer serves
// the next call, because a typed array with memory of its own costs ~1 us to make, more than a small BTF's
// dedup spends in some of its passes. Contents are not zeroed (zeroedI32 is, where memory was used before).
// Nothing handed out may outlive the call that began it (results the caller keeps are allocated normally).

/** Bytes kept between calls; bigger needs (a vmlinux dedup) get memory of their own, freed with them. */
const KEEP_LIMIT = 1 << 18;

let kept = new ArrayBuffer(16 * 1024);
/** How many leading bytes of `kept` have ever been handed out (the rest still holds the zeros it was made with). */
let keptDirty = 0;

export class Scratch {
  private buffer: ArrayBuffer = kept;
  private used = 0;
  /** Bytes of `buffer` from here on were never handed out: zeros. */
  private clean = keptDirty;
  /** Whether the last region handed out was never used before (so it is zeros). */
  private fresh = false;

  /**
   * Starts a call's use: everything handed out before (by any Scratch) may be overwritten from now on. A call
   * that expects to need more than is kept between calls says so: it gets one buffer of that size, of its own.
   */
  static begin(expectedBytes = 0): Scratch {
    const scratch = new Scratch();
    if (expectedBytes > KEEP_LIMIT) {
      scratch.buffer = new ArrayBuffer(expectedBytes);
      scratch.clean = 0;
    }
    return scratch;
  }

  u32(count: number): Uint32Array<ArrayBuffer> {
    return new Uint32Array(this.take(count * 4), this.used - count * 4, count);
  }

  i32(count: number): Int32Array<ArrayBuffer> {
    return new Int32Array(this.take(count * 4), this.used - count * 4, count);
  }

  /** Zeros, filled only where the memory was used before (a big table in fresh memory is not written twice). */
  zeroedI32(count: number): Int32Array<ArrayBuffer> {
    const view = this.i32(count);
    if (!this.fresh) view.fill(0);
    return view;
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
      this.clean = 0;
      if (size <= KEEP_LIMIT) {
        kept = this.buffer;
        keptDirty = 0;
      }
    }
    this.fresh = this.used >= this.clean;
    this.used += bytes;
    if (this.used > this.clean) this.clean = this.used;
    if (this.buffer === kept && this.used > keptDirty) keptDirty = this.used;
    return this.buffer;
  }
}
