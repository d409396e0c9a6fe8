// Output as bytes, the way printf would produce it: names are copied straight from the BTF string section, numbers
// are formatted digit by digit, and nothing is allocated per token. (Building the 2.8 MB vmlinux dump out of JS
// string pieces spends most of its time in the garbage collector.) Callers take the bytes in chunks.

const TAB = 9;
const INITIAL_CAPACITY = 128 * 1024;

export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(
    /** The string section bytes that name offsets index. */
    private readonly strings: Uint8Array,
  ) {
    this.buf = new Uint8Array(INITIAL_CAPACITY);
  }

  /** Makes room for `n` more bytes. Hot callers test `pos + n > buf.length` themselves and call only to grow. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.grow(n);
  }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  /**
   * Everything written so far, as a view of the buffer valid until the next write: the writer starts over in the
   * same buffer.
   */
  drain(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }

  /** An ASCII literal (the dumper's own keywords and punctuation). */
  text(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Any JS string, UTF-8 encoded (used only for rare cases such as 64-bit enum values). */
  unicode(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** The NUL-terminated string at `offset` of the string section, as raw bytes (printf's %s). */
  name(offset: number): void {
    const strings = this.strings;
    let end = offset;
    while (strings[end] !== 0 && end < strings.length) end++;
    const n = end - offset;
    if (this.pos + n > this.buf.length) this.grow(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = offset; i < end; i++) buf[p++] = strings[i]!;
    this.pos = p;
  }

  /** Whether the string at `offset` is empty. */
  isEmptyName(offset: number): boolean {
    return this.strings[offset] === 0 || offset >= this.strings.length;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = c;
  }

  tabs(n: number): void {
    this.reserve(n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) buf[this.pos++] = TAB;
  }

  /** A newline followed by `n` tabs. */
  newline(n: number): void {
    if (this.pos + n + 1 > this.buf.length) this.grow(n + 1);
    const buf = this.buf;
    buf[this.pos++] = 10;
    for (let i = 0; i < n; i++) buf[this.pos++] = TAB;
  }

  /** A safe integer in decimal (printf %d / %u once the caller has picked the signedness). */
  int(value: number): void {
    if (this.pos + 21 > this.buf.length) this.grow(21);
    const buf = this.buf;
    let v = value;
    if (v < 0) {
      buf[this.pos++] = 45; // '-'
      v = -v;
    }
    if (v < 10) {
      buf[this.pos++] = 48 + v;
      return;
    }
    // Digits right to left into a scratch area past the end, then copied in order. `(v - d) / 10` is exact, so
    // even unoptimized code stays on small integers.
    const end = this.pos + 20;
    let p = end;
    while (v !== 0) {
      const d = v % 10;
      buf[--p] = 48 + d;
      v = (v - d) / 10;
    }
    let out = this.pos;
    while (p < end) buf[out++] = buf[p++]!;
    this.pos = out;
  }
}
