const TWO_POW_32 = 0x1_0000_0000;

/** Endianness-aware writes into a preallocated buffer. Callers validate values before writing them. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly littleEndian: boolean;

  constructor(size: number, littleEndian: boolean) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.littleEndian = littleEndian;
  }

  u8(offset: number, value: number): void {
    this.view.setUint8(offset, value);
  }

  u16(offset: number, value: number): void {
    this.view.setUint16(offset, value, this.littleEndian);
  }

  u32(offset: number, value: number): void {
    this.view.setUint32(offset, value, this.littleEndian);
  }

  /** A u64 given as two 32-bit halves (r_info is symbol << 32 | type). */
  words(offset: number, low: number, high: number): void {
    this.view.setUint32(offset + (this.littleEndian ? 0 : 4), low, this.littleEndian);
    this.view.setUint32(offset + (this.littleEndian ? 4 : 0), high, this.littleEndian);
  }

  /** Non-negative safe integer as u64. */
  u64(offset: number, value: number): void {
    this.words(offset, value % TWO_POW_32, Math.floor(value / TWO_POW_32));
  }

  /** Safe integer (possibly negative) as two's-complement i64. */
  i64(offset: number, value: number): void {
    this.view.setBigInt64(offset, BigInt(value), this.littleEndian);
  }

  copy(offset: number, data: Uint8Array): void {
    this.bytes.set(data, offset);
  }
}
