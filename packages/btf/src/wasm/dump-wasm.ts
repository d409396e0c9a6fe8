// The raw and JSON dumps of a base BTF through dump.c (see there for why). Copies the type words, starts and strings into
// the module's memory once, then collects 1 MiB of text per call. Types that cannot fit the buffer (absurdly
// long names or vlen) are written by the JavaScript dumper in between, so the output is always complete.

import type { Btf } from "../btf.js";
import { DUMP_WASM_BASE64 } from "./dump.generated.js";
import { instantiate, PAGE, recordWasmOutcome, releaseMemory, wasmAvailable } from "./instance.js";

interface DumpExports {
  max_string(strings: number, length: number): number;
  dump_raw: DumpFunction;
  dump_json: DumpFunction;
}

type DumpFunction = (
  words: number,
  starts: number,
  firstId: number,
  id: number,
  endId: number,
  strings: number,
  stringLength: number,
  maxName: number,
  out: number,
  capacity: number,
  written: number,
) => number;

const CAPACITY = 1 << 20;

/** Whether dumpRawWasm can take this BTF: a base BTF (all names and types in this blob). */
export function wasmDumpApplies(btf: Btf): boolean {
  return wasmAvailable && btf.base === undefined;
}

/**
 * Writes the types of `btf` in `format` to `write` (chunks are views valid during the call); the JSON frame is
 * the caller's. `fallback(id)` must write one type itself (with its leading comma in JSON). Returns false when
 * this path is not available (nothing written then).
 */
export function dumpTypesWasm(
  btf: Btf,
  format: "raw" | "json",
  write: (chunk: Uint8Array) => void,
  fallback: (id: number) => void,
): boolean {
  if (!wasmDumpApplies(btf)) return false;
  const { words, starts } = btf;
  const strings = btf.strings.bytes;
  const wordsAt = PAGE;
  const startsAt = wordsAt + words.byteLength;
  const stringsAt = startsAt + starts.byteLength;
  const outAt = (stringsAt + strings.length + 7) & ~7;
  // The memory the parse's scan released, if any: its pages are faulted in already, and a second copy of the BTF
  // would add its size to the process's peak. dump.c keeps no state of its own in memory.
  const wasm = instantiate<DumpExports>(DUMP_WASM_BASE64, outAt + CAPACITY, true);
  if (!wasm) {
    recordWasmOutcome("dump", "no memory");
    return false;
  }
  const { exports, memory } = wasm;
  const heap = new Uint8Array(memory.buffer);
  heap.set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), wordsAt);
  heap.set(new Uint8Array(starts.buffer, starts.byteOffset, starts.byteLength), startsAt);
  heap.set(strings, stringsAt);
  const written = new Uint32Array(memory.buffer, 8, 1);
  const maxName = exports.max_string(stringsAt, strings.length);
  let byFallback = 0;
  for (let id = btf.firstOwnId; id < btf.typeCount; ) {
    const next = (format === "raw" ? exports.dump_raw : exports.dump_json)(
      wordsAt,
      startsAt,
      btf.firstOwnId,
      id,
      btf.typeCount,
      stringsAt,
      strings.length,
      maxName,
      outAt,
      CAPACITY,
      8,
    );
    if (written[0] > 0) write(heap.subarray(outAt, outAt + written[0]));
    if (next === id) {
      fallback(id);
      byFallback++;
      id++;
    } else {
      id = next;
    }
  }
  recordWasmOutcome("dump", byFallback === 0 ? "complete" : `complete, ${byFallback} by the fallback`);
  releaseMemory(memory);
  return true;
}
