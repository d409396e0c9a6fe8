// A reusable, zero-filled `union bpf_attr` (or info struct) buffer living off the V8 heap, so its address can be
// handed to the kernel and stays valid. Field writers take host byte order, which is what the kernel reads.
import { addressOf } from "../libc.js";

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO_32 = 2 ** 32;

/** Fixed-size kernel struct buffer with typed field accessors. */
export class StructBuffer {
  readonly buffer: ArrayBuffer;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Address of byte 0, for the syscall or for a pointer field of another struct. */
  readonly address: number;
  /** Objects this struct points into (see `retain`). */
  readonly #retained: unknown[] = [];

  constructor(size: number) {
    this.buffer = new ArrayBuffer(size);
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.address = addressOf(this.buffer);
  }

  /**
   * Keeps `objects` (the buffers this struct's pointer fields refer to) reachable for as long as this struct is.
   * `bpf()` holds the attr struct in a module variable during the syscall, so everything retained by it cannot
   * be collected while the kernel reads or writes it, whatever the optimizing compiler thinks is still live.
   */
  retain(...objects: unknown[]): this {
    this.#retained.push(...objects);
    return this;
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Zeroes the first `size` bytes (the kernel rejects non-zero bytes it does not know). */
  clear(size = this.bytes.length): this {
    this.bytes.fill(0, 0, size);
    return this;
  }

  u32(offset: number, value: number): this {
    this.view.setUint32(offset, value >>> 0, HOST_LITTLE_ENDIAN);
    return this;
  }

  s32(offset: number, value: number): this {
    this.view.setInt32(offset, value | 0, HOST_LITTLE_ENDIAN);
    return this;
  }

  /** 64-bit field from a bigint or a non-negative safe integer (pointers are below 2^53 on every Linux ABI). */
  u64(offset: number, value: number | bigint): this {
    if (typeof value === "bigint") {
      this.view.setBigUint64(offset, BigInt.asUintN(64, value), HOST_LITTLE_ENDIAN);
      return this;
    }
    const low = value % TWO_32;
    const high = (value - low) / TWO_32;
    this.view.setUint32(offset + (HOST_LITTLE_ENDIAN ? 0 : 4), low, HOST_LITTLE_ENDIAN);
    this.view.setUint32(offset + (HOST_LITTLE_ENDIAN ? 4 : 0), high, HOST_LITTLE_ENDIAN);
    return this;
  }

  /** Writes a string into a fixed char array, NUL-padded, truncated to `capacity - 1` bytes. */
  chars(offset: number, capacity: number, text: string): this {
    const encoded = new TextEncoder().encode(text);
    const n = Math.min(encoded.length, capacity - 1);
    this.bytes.set(encoded.subarray(0, n), offset);
    this.bytes.fill(0, offset + n, offset + capacity);
    return this;
  }

  getU32(offset: number): number {
    return this.view.getUint32(offset, HOST_LITTLE_ENDIAN);
  }

  getU64(offset: number): bigint {
    return this.view.getBigUint64(offset, HOST_LITTLE_ENDIAN);
  }

  /** NUL-terminated string from a fixed char array. */
  getChars(offset: number, capacity: number): string {
    const field = this.bytes.subarray(offset, offset + capacity);
    const end = field.indexOf(0);
    return new TextDecoder().decode(end < 0 ? field : field.subarray(0, end));
  }
}

/**
 * Off-heap copies of the buffers one command points to. A command builds one, stages its inputs and outputs,
 * and keeps it referenced until the syscall returns; the copies then die with it.
 */
export class Staging {
  readonly #held: ArrayBuffer[] = [];

  /** Copies `bytes` off-heap; returns the copy's address (0 for an empty input, which the kernel reads as NULL). */
  input(bytes: Uint8Array): number {
    if (bytes.length === 0) return 0;
    const copy = new ArrayBuffer(bytes.length);
    new Uint8Array(copy).set(bytes);
    this.#held.push(copy);
    return addressOf(copy);
  }

  /** NUL-terminated UTF-8 copy of a string. */
  string(text: string): number {
    const encoded = new TextEncoder().encode(text);
    const copy = new ArrayBuffer(encoded.length + 1);
    new Uint8Array(copy).set(encoded);
    this.#held.push(copy);
    return addressOf(copy);
  }

  /**
   * Ends the command: drops the copies. Call it after the syscall returns; the call also keeps the copies
   * reachable until then, so an optimizing compiler cannot treat them as dead during the syscall.
   */
  release(): void {
    this.#held.length = 0;
  }

  /** A zeroed off-heap output area of `size` bytes (at least 1, so the address is real). */
  output(size: number): { address: number; bytes: Uint8Array } {
    const area = new ArrayBuffer(Math.max(1, size));
    this.#held.push(area);
    return { address: addressOf(area), bytes: new Uint8Array(area, 0, size) };
  }
}
