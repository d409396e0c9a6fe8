// The CO-RE name index's one-pass lookup of several names (core/essential-index.ts, prefetch) in WebAssembly, see
// core-names.c. Works in the memory the parse's scan released (its pages are already faulted in), where the scan's
// copy of the type words and starts still lies when nothing else used the memory since (then only the strings are
// copied; otherwise words, starts and strings), and reads back (wanted name, own index) pairs.

import { CORE_NAMES_WASM_BASE64 } from "./core-names.generated.js";
import { instantiate, PAGE, recordWasmOutcome, releaseMemory, wasmAvailable } from "./instance.js";
import { type ScanLeftover, startsAfter } from "./scan-wasm.js";

interface CoreNamesExports {
  match_names(
    words: number,
    starts: number,
    count: number,
    strings: number,
    stringLength: number,
    firstString: number,
    wanted: number,
    wantedAt: number,
    wantedLength: number,
    head: number,
    nextWanted: number,
    indexedKinds: number,
    outWhich: number,
    outIndex: number,
    capacity: number,
  ): number;
}

/** What a lookup reads: a base BTF's own records and its string section. */
export interface NameRecords {
  readonly words: Uint32Array;
  readonly starts: Uint32Array;
  readonly strings: Uint8Array;
  readonly firstString: number;
}

/** Types from this many on take the WebAssembly path (vmlinux has 126k; an object's BTF a few hundred). */
const WASM_MIN_TYPES = 4096;

export function wasmMatchNamesApplies(count: number): boolean {
  return wasmAvailable && count >= WASM_MIN_TYPES;
}

const align4 = (n: number) => (n + 3) & ~3;

/**
 * For each wanted name (UTF-8 bytes), the own indexes (ascending) of the types of a kind in `indexedKinds` (bit per
 * kind) named so or so plus a flavor suffix. Undefined when this path cannot answer (no memory, too many hits).
 */
export function matchNamesWasm(
  records: NameRecords,
  wanted: readonly Uint8Array[],
  indexedKinds: number,
): number[][] | undefined {
  const { words, starts, strings } = records;
  const count = starts.length;
  const wantedBytes = wanted.reduce((n, w) => n + w.length, 0);
  // Every type matches at most one wanted name exactly and a few more through flavors: cap the hits, and let
  // the caller's JavaScript loop answer in the (absurd) case of more.
  const capacity = count + 1024;
  const wordsAt = PAGE;
  const startsAt = startsAfter(wordsAt, words.byteLength);
  const stringsAt = startsAt + starts.byteLength;
  const wantedAt = align4(stringsAt + strings.length);
  const offsetsAt = align4(wantedAt + wantedBytes);
  const lengthsAt = offsetsAt + wanted.length * 4;
  const headAt = lengthsAt + wanted.length * 4;
  const nextAt = headAt + 256 * 4;
  const whichAt = nextAt + wanted.length * 4;
  const indexAt = whichAt + capacity * 4;
  const wasm = instantiate<CoreNamesExports>(CORE_NAMES_WASM_BASE64, indexAt + capacity * 4, true);
  if (!wasm) {
    recordWasmOutcome("core-names", "no memory");
    return undefined;
  }
  const { exports, memory } = wasm;
  const heap = new Uint8Array(memory.buffer);
  const left = wasm.leftover as ScanLeftover | undefined;
  // The scan (or an earlier lookup) left these very words and starts where this layout wants them: keep them.
  const inPlace = left !== undefined && left.words === words && left.wordsAt === wordsAt && left.startsAt === startsAt;
  if (!inPlace) {
    heap.set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), wordsAt);
    heap.set(new Uint8Array(starts.buffer, starts.byteOffset, starts.byteLength), startsAt);
  }
  heap.set(strings, stringsAt);
  const offsets = new Uint32Array(memory.buffer, offsetsAt, wanted.length);
  const lengths = new Uint32Array(memory.buffer, lengthsAt, wanted.length);
  const head = new Int32Array(memory.buffer, headAt, 256).fill(-1);
  const next = new Int32Array(memory.buffer, nextAt, wanted.length);
  let at = 0;
  // Linked in reverse so that each first byte's list keeps the callers' order.
  for (let k = wanted.length - 1; k >= 0; k--) {
    const name = wanted[k]!;
    next[k] = head[name[0]!]!;
    head[name[0]!] = k;
  }
  for (let k = 0; k < wanted.length; k++) {
    heap.set(wanted[k]!, wantedAt + at);
    offsets[k] = at;
    lengths[k] = wanted[k]!.length;
    at += wanted[k]!.length;
  }
  const hits = exports.match_names(
    wordsAt,
    startsAt,
    count,
    stringsAt,
    strings.length,
    records.firstString,
    wantedAt,
    offsetsAt,
    lengthsAt,
    headAt,
    nextAt,
    indexedKinds >>> 0,
    whichAt,
    indexAt,
    capacity,
  );
  if (hits > capacity) {
    releaseMemory(memory);
    recordWasmOutcome("core-names", "too many hits");
    return undefined;
  }
  const which = new Uint32Array(memory.buffer, whichAt, hits);
  const index = new Uint32Array(memory.buffer, indexAt, hits);
  const ids: number[][] = wanted.map(() => []);
  for (let n = 0; n < hits; n++) ids[which[n]!]!.push(index[n]!);
  // The words and starts stay where they are, for the next lookup on the same BTF.
  const leftover: ScanLeftover = { words, wordsAt, startsAt };
  releaseMemory(memory, leftover);
  recordWasmOutcome("core-names", "complete");
  return ids;
}
