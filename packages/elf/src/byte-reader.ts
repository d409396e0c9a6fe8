import { describeSection, ElfError, type ElfErrorSection, hex } from "./errors.js";

const TWO_POW_32 = 0x1_0000_0000;
/** Largest high word of a u64 that still gives an exact JavaScript number (2^53 - 1 >> 32). */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

/**
 * Labels cost nothing until an error: `what` is a constant field name and `section` an object the caller already
 * has, so the hot loops over symbols and relocations build no strings.
 *
 * Bounds-checked, endianness-aware reads over a byte array. Every read checks its range first and throws an
 * `ElfError` rather than letting DataView throw a RangeError. 64-bit fields come back as numbers: offsets and
 * sizes in a file held in memory are far below 2^53, and a field that is not throws `VALUE_TOO_LARGE` instead of
 * silently losing precision.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  readonly length: number;
  /** Over the same bytes, unchecked: for loops over ranges the caller has already checked. */
  readonly view: DataView;

  constructor(bytes: Uint8Array, littleEndian: boolean) {
    this.bytes = bytes;
    this.littleEndian = littleEndian;
    this.length = bytes.byteLength;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Throws unless `[offset, offset + size)` lies inside the bytes. */
  check(offset: number, size: number, what: string, section?: ElfErrorSection): void {
    if (!(offset >= 0 && size >= 0 && offset + size <= this.length)) {
      throw new ElfError(
        "OUT_OF_RANGE",
        `${label(what, section)}: ${hex(offset)} + ${hex(size)} extends past end of file (size ${hex(this.length)})`,
        section ? { offset, section } : { offset },
      );
    }
  }

  u8(offset: number, what = "u8", section?: ElfErrorSection): number {
    this.check(offset, 1, what, section);
    return this.view.getUint8(offset);
  }

  u16(offset: number, what = "u16", section?: ElfErrorSection): number {
    this.check(offset, 2, what, section);
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(offset: number, what = "u32", section?: ElfErrorSection): number {
    this.check(offset, 4, what, section);
    return this.view.getUint32(offset, this.littleEndian);
  }

  /** Unsigned 64-bit field as an exact number; `VALUE_TOO_LARGE` above 2^53 - 1. */
  u64(offset: number, what = "u64", section?: ElfErrorSection): number {
    this.check(offset, 8, what, section);
    const high = this.high(offset);
    if (high > MAX_SAFE_HIGH_WORD) {
      throw new ElfError(
        "VALUE_TOO_LARGE",
        `${label(what, section)} at ${hex(offset)} does not fit 53 bits`,
        section ? { offset, section } : { offset },
      );
    }
    // A zero high word (every offset and size in a real object) returns the low word as is, which V8 keeps as a
    // small integer; the multiply-add would make it a heap double and slow every later loop indexed by it.
    return high === 0 ? this.low(offset) : high * TWO_POW_32 + this.low(offset);
  }

  /** Signed 64-bit field (RELA addends) as an exact number; `VALUE_TOO_LARGE` beyond ±(2^53 - 1). */
  i64(offset: number, what = "i64", section?: ElfErrorSection): number {
    this.check(offset, 8, what, section);
    const value = (this.high(offset) | 0) * TWO_POW_32 + this.low(offset);
    if (!Number.isSafeInteger(value)) {
      throw new ElfError(
        "VALUE_TOO_LARGE",
        `${label(what, section)} at ${hex(offset)} does not fit 53 bits`,
        section ? { offset, section } : { offset },
      );
    }
    return value;
  }

  // The two halves of a 64-bit field, read separately so no temporary array is allocated per field.
  private low(offset: number): number {
    return this.view.getUint32(this.littleEndian ? offset : offset + 4, this.littleEndian);
  }

  private high(offset: number): number {
    return this.view.getUint32(this.littleEndian ? offset + 4 : offset, this.littleEndian);
  }
}

function label(what: string, section: ElfErrorSection | undefined): string {
  return section ? `${describeSection(section)}: ${what}` : what;
}
