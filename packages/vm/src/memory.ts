// The memory a program can reach: one linear buffer holding every region (stack frames, context, packet, map
// values...) at addresses the program sees as plain numbers. Each load and store is checked against the region
// its address falls in: the whole access must lie inside one region, and a store needs a writable one. Address 0
// and everything between regions belong to nobody, so a NULL or stray pointer faults instead of reading memory.

import { VmError } from "./errors.js";
import { PAGE, type WasmMemory, wasm } from "./wasm/api.js";

/** Where the first region starts: small integers used as pointers fault. Address = BASE + buffer index. */
export const BASE = 0x10000;
/** Unmapped bytes between regions, so running off one region never lands in the next. */
const GAP = 64;
/**
 * Pages a WebAssembly memory starts with (16 MiB), whatever the first request: growing a WebAssembly memory
 * detaches its old ArrayBuffer, and the first detach in a process makes every typed-array access in optimized code
 * check for it (the interpreter ran xdp_parse 15-40% slower after one). Untouched pages cost address space, not
 * RAM, so most programs' maps fit without ever growing.
 */
const WASM_INITIAL_PAGES = 256;
/** Regions the compiled engine finds without leaving WebAssembly; later ones are found by translate(). */
export const REGION_TABLE_CAPACITY = 64;

export interface Region {
  readonly name: string;
  /** First address. */
  readonly start: number;
  /** One past the last address. */
  readonly end: number;
  /** Its first byte's index in the buffer. */
  readonly offset: number;
  readonly writable: boolean;
}

export class VmMemory {
  bytes: Uint8Array;
  view: DataView;
  /** The WebAssembly memory holding the bytes, when the host has WebAssembly (the compiled engine runs in it). */
  readonly wasmMemory: WasmMemory | undefined;
  private used = 0;
  private readonly regions: Region[] = [];
  private last: Region | undefined;
  /** Callbacks that drop the engines' cached region bounds when a region changes (resize). */
  private readonly resetters: (() => void)[] = [];

  /**
   * Buffer index of the region table the compiled engine scans: a u32 count, then (start, end, writable) u32
   * triples, one per region, kept as regions are allocated. Not a region itself: programs cannot reach it.
   */
  readonly regionTable: number;

  constructor(capacity = 1 << 16) {
    const pages = Math.max(1, Math.ceil(capacity / PAGE));
    this.wasmMemory = wasm ? new wasm.Memory({ initial: Math.max(pages, WASM_INITIAL_PAGES) }) : undefined;
    this.bytes = this.wasmMemory ? new Uint8Array(this.wasmMemory.buffer) : new Uint8Array(pages * PAGE);
    this.view = new DataView(this.bytes.buffer);
    this.regionTable = this.reserve(4 + 12 * REGION_TABLE_CAPACITY);
  }

  private frameTops: number[] | undefined;

  /**
   * Tops of the stack frames (one region of `size` bytes per frame, unmapped bytes between: a frame reaches past
   * its bytes only by a fault, while a pointer into a caller's frame stays valid). Allocated once per memory and
   * reused by every run, as the kernel reuses its stack.
   */
  stackFrames(count: number, size: number): readonly number[] {
    if (!this.frameTops) {
      this.frameTops = [];
      for (let f = 0; f < count; f++) this.frameTops.push(this.allocate(`stack frame ${f}`, size, true).end);
    }
    return this.frameTops;
  }

  /** The region the latest successful translate() found. */
  get lastRegion(): Region | undefined {
    return this.last;
  }

  /** Reserves `size` bytes (zeroed, or a copy of `contents`) as a region; returns it. */
  allocate(name: string, size: number, writable: boolean, contents?: Uint8Array): Region {
    const offset = this.reserve(size);
    if (contents) this.bytes.set(contents.subarray(0, size), offset);
    const region = { name, start: BASE + offset, end: BASE + offset + size, offset, writable };
    this.regions.push(region);
    const n = this.regions.length;
    if (n <= REGION_TABLE_CAPACITY) {
      const at = this.regionTable + 4 + 12 * (n - 1);
      this.view.setUint32(at, region.start, true);
      this.view.setUint32(at + 4, region.end, true);
      this.view.setUint32(at + 8, writable ? 1 : 0, true);
      this.view.setUint32(this.regionTable, n, true);
    }
    return region;
  }

  /** Reserves `size` zeroed bytes that belong to no region (the VM's own scratch); returns their buffer index. */
  reserve(size: number): number {
    const offset = Math.ceil(this.used / 8) * 8;
    const end = offset + size + GAP;
    if (end > this.bytes.length) this.grow(end);
    this.used = end;
    return offset;
  }

  private grow(needed: number): void {
    const pages = Math.ceil(Math.max(needed, this.bytes.length * 2) / PAGE);
    if (this.wasmMemory) {
      this.wasmMemory.grow(pages - this.bytes.length / PAGE);
      this.bytes = new Uint8Array(this.wasmMemory.buffer);
    } else {
      const grown = new Uint8Array(pages * PAGE);
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.view = new DataView(this.bytes.buffer);
  }

  /**
   * Moves a region's bounds inside the bytes reserved for it (the packet, when bpf_xdp_adjust_head/tail/meta move
   * data, data_end or data_meta): accesses are then checked against the new bounds, engines' caches included.
   */
  resize(region: Region, start: number, end: number): void {
    const index = this.regions.indexOf(region);
    if (index < 0 || start > end || start < BASE) throw new VmError("MEMORY", `cannot resize ${region.name}`);
    const r = region as { start: number; end: number; offset: number };
    r.start = start;
    r.end = end;
    r.offset = start - BASE;
    if (index < REGION_TABLE_CAPACITY) {
      const at = this.regionTable + 4 + 12 * index;
      this.view.setUint32(at, start, true);
      this.view.setUint32(at + 4, end, true);
    }
    this.last = undefined;
    for (const reset of this.resetters) reset();
  }

  /** Registers a callback that forgets cached region bounds (called on every resize). */
  onResize(reset: () => void): void {
    this.resetters.push(reset);
  }

  /**
   * The `size` bytes at `address`, unchecked (a view, valid until the next allocation): for the VM's own code that
   * holds an address inside one of its regions (a map value slot), not for program accesses.
   */
  at(address: number, size: number): Uint8Array {
    return this.bytes.subarray(address - BASE, address - BASE + size);
  }

  /** The region's bytes (a view, valid until the next allocation). */
  contents(region: Region): Uint8Array {
    return this.bytes.subarray(region.offset, region.offset + (region.end - region.start));
  }

  /**
   * The buffer index for an access of `size` bytes at the 64-bit address hi:lo, or a MEMORY fault naming the
   * instruction and address.
   */
  translate(lo: number, hi: number, size: number, write: boolean, pc: number): number {
    const cached = this.last;
    if (hi === 0 && cached && lo >= cached.start && lo + size <= cached.end && (!write || cached.writable)) {
      return cached.offset + (lo - cached.start);
    }
    if (hi === 0) {
      for (const region of this.regions) {
        if (lo >= region.start && lo + size <= region.end) {
          if (write && !region.writable) break;
          this.last = region;
          return region.offset + (lo - region.start);
        }
      }
    }
    const address = (BigInt(hi) << 32n) | BigInt(lo);
    const inside = hi === 0 ? this.regions.find((r) => lo >= r.start && lo < r.end) : undefined;
    const what = inside
      ? write && !inside.writable
        ? `write to read-only ${inside.name}`
        : `${size}-byte access past the end of ${inside.name} (${inside.end - lo} bytes left)`
      : "address outside every region";
    throw new VmError("MEMORY", `invalid ${write ? "write" : "read"} at 0x${address.toString(16)}: ${what}`, {
      pc,
      address,
    });
  }
}
