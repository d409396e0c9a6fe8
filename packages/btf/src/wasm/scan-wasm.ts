// Runs the type-section scan (and the cycle check) of large BTF in WebAssembly; see scan.c for why. The type
// section is copied into the module's memory for the scan. Afterwards the Btf reads its words straight from the
// caller's bytes (as the JavaScript path does) and keeps only a copy of the starts, and the memory (a second copy
// of the type section plus scratch) is released for the next WebAssembly user, e.g. the C dump's plan, instead of
// staying faulted in for the Btf's lifetime; only a type section that is not 4-byte aligned in the caller's bytes
// keeps its words in the memory. Returns undefined whenever the JavaScript path must decide instead (malformed
// input, which it diagnoses precisely, or a blob this path does not take).

import { instantiate, PAGE, recordWasmOutcome, releaseMemory, wasmAvailable } from "./instance.js";
import { SCAN_WASM_BASE64 } from "./scan.generated.js";

interface ScanExports {
  hash_names(
    words: number,
    starts: number,
    count: number,
    strings: number,
    stringLength: number,
    slotHash: number,
    slotHead: number,
    next: number,
    mask: number,
  ): void;
  scan(
    words: number,
    total: number,
    starts: number,
    fwd: number,
    out: number,
    stringEnd: number,
    firstId: number,
  ): number;
  cycles(
    words: number,
    starts: number,
    count: number,
    fwd: number,
    nfwd: number,
    state: number,
    firstId: number,
  ): number;
}

/**
 * What a scan leaves in the memory it releases: the type words and the own starts of the BTF whose words are
 * `words` (the caller's array: its identity names the data, and its length the starts' count), at these byte
 * offsets. The CO-RE name lookup that usually follows a parse of vmlinux then copies only the strings.
 */
export interface ScanLeftover {
  readonly words: Uint32Array;
  readonly wordsAt: number;
  readonly startsAt: number;
}

export interface WasmScan {
  readonly words: Uint32Array;
  readonly starts: Uint32Array;
  /** Own index of a type on a reference loop, -1 when there is none or the check was skipped. */
  readonly cycleAt: number;
}

/**
 * Where the starts go after type words at `wordsAt` of `wordBytes` bytes: one word further, for void's start. The
 * scan and the CO-RE name lookup share this layout, so the lookup finds the scan's leftovers in place.
 */
export const startsAfter = (wordsAt: number, wordBytes: number): number => wordsAt + wordBytes + 4;

/** Offsets are 32-bit inside the module; stay far below that. */
const MAX_TYPE_SECTION = 1 << 28;

/** Whether a blob can take this path (little-endian data on a little-endian host, sane size). */
export function wasmScanApplies(littleEndian: boolean, typeLen: number): boolean {
  return littleEndian && wasmAvailable && typeLen <= MAX_TYPE_SECTION;
}

export function wasmScan(
  bytes: Uint8Array,
  typeStart: number,
  typeLen: number,
  stringEnd: number,
  firstId: number,
  checkCycles: boolean,
): WasmScan | undefined {
  const total = typeLen >>> 2;
  const maxTypes = Math.floor(total / 3);
  // Layout: [0, PAGE) scalars | words | void's start | starts | forward links | cycle state bytes.
  const wordsAt = PAGE;
  const startsAt = startsAfter(wordsAt, total * 4);
  const fwdAt = startsAt + maxTypes * 4;
  const stateAt = fwdAt + maxTypes * 4;
  const wasm = instantiate<ScanExports>(SCAN_WASM_BASE64, stateAt + maxTypes, true);
  if (!wasm) {
    recordWasmOutcome("scan", "no memory");
    return undefined;
  }
  const { exports, memory } = wasm;
  new Uint8Array(memory.buffer, wordsAt, total * 4).set(bytes.subarray(typeStart, typeStart + total * 4));
  const count = exports.scan(wordsAt, total, startsAt, fwdAt, 16, stringEnd >>> 0, firstId);
  if (count < 0) {
    releaseMemory(memory);
    recordWasmOutcome("scan", "malformed");
    return undefined;
  }
  let cycleAt = -1;
  if (checkCycles) {
    new Uint8Array(memory.buffer, stateAt, count).fill(0); // the memory may be a reused one
    const nfwd = new Uint32Array(memory.buffer, 16, 1)[0];
    cycleAt = exports.cycles(wordsAt, startsAt, count, fwdAt, nfwd, stateAt, firstId);
  }
  const at = bytes.byteOffset + typeStart;
  if (at % 4 === 0) {
    // One zero word in front (void's start): the C dump indexes starts by type id and can then use a view. A
    // slice of the memory, not a new zeroed array filled from it (0.03 against 0.25 ms for vmlinux, measured alone).
    const heap32 = new Uint32Array(memory.buffer);
    heap32[startsAt / 4 - 1] = 0;
    const startsWithVoid = heap32.slice(startsAt / 4 - 1, startsAt / 4 + count);
    const words = new Uint32Array(bytes.buffer, at, total);
    const leftover: ScanLeftover = { words, wordsAt, startsAt };
    releaseMemory(memory, leftover);
    return { words, starts: startsWithVoid.subarray(1), cycleAt };
  }
  return {
    words: new Uint32Array(memory.buffer, wordsAt, total),
    starts: new Uint32Array(memory.buffer, startsAt, count),
    cycleAt,
  };
}

export interface WasmNameHash {
  readonly slotHash: Uint32Array;
  readonly slotHead: Uint32Array;
  readonly next: Uint32Array;
}

/**
 * The hash table of NameIndex, computed in WebAssembly (same layout and hash as the JavaScript loop). Only for a
 * base BTF (all names in its own string section); undefined when this path does not apply.
 */
export function wasmHashNames(
  words: Uint32Array,
  starts: Uint32Array,
  strings: Uint8Array,
  capacity: number,
): WasmNameHash | undefined {
  const count = starts.length;
  // Layout: [0, PAGE) unused | words | starts | strings | slotHash | slotHead | next.
  const wordsAt = PAGE;
  const startsAt = wordsAt + words.byteLength;
  const stringsAt = startsAt + starts.byteLength;
  const hashAt = (stringsAt + strings.length + 3) & ~3;
  const headAt = hashAt + capacity * 4;
  const nextAt = headAt + capacity * 4;
  const end = nextAt + count * 4;
  const wasm = instantiate<ScanExports>(SCAN_WASM_BASE64, end);
  if (!wasm) {
    recordWasmOutcome("names", "no memory");
    return undefined;
  }
  const { exports, memory } = wasm;
  const heap = new Uint8Array(memory.buffer);
  heap.set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), wordsAt);
  heap.set(new Uint8Array(starts.buffer, starts.byteOffset, starts.byteLength), startsAt);
  heap.set(strings, stringsAt);
  exports.hash_names(wordsAt, startsAt, count, stringsAt, strings.length, hashAt, headAt, nextAt, capacity - 1);
  return {
    slotHash: new Uint32Array(memory.buffer, hashAt, capacity),
    slotHead: new Uint32Array(memory.buffer, headAt, capacity),
    next: new Uint32Array(memory.buffer, nextAt, count),
  };
}
