// Instantiating the generated WebAssembly modules (scan.c, dump.c, dump-c-order.c, dump-c-emit.c). @types/node
// does not declare the WebAssembly global (it comes with the DOM lib, which this project does not load), so the
// slice used here is typed locally. Each instance gets its own memory; views into it live as long as their user. A
// user that is done with its memory may hand it back (releaseMemory): the next instantiate asking for reuse runs on
// it if it is large enough, so a one-shot pipeline (scan, then the C dump) faults its pages in once instead of once
// per stage.
//
// A memory is never grown. Growing detaches the old ArrayBuffer, and the first detach anywhere in a process clears
// V8's "no ArrayBuffer was ever detached" protector: from then on every optimized typed-array access carries a
// detach check, and all typed-array code in the process (dedup, CO-RE, the C dump's JavaScript) runs 15-25% slower
// (measured on dedup). So a memory meant for reuse is created with headroom instead: pages nobody touches cost
// address space, not RAM.

import { base64Bytes } from "../host.js";
import { HOST_LITTLE_ENDIAN } from "../words.js";

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  Table: new (descriptor: { initial: number; element: "anyfunc" }) => object;
  Instance: new (module: object, imports: Record<string, Record<string, object>>) => { exports: unknown };
}

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

export const PAGE = 65536;
/** Largest memory any module here asks for (1 GiB). */
const MAX_PAGES = (1 << 30) / PAGE;
/**
 * A memory that will be handed on is created this many times larger than its first user asks for: the C dump of
 * vmlinux needs 3.4 times what the scan before it did.
 */
const REUSE_HEADROOM = 4;

/** Whether the WebAssembly paths can run here (typed-array views over wasm memory need a little-endian host). */
export const wasmAvailable = wasmApi !== undefined && HOST_LITTLE_ENDIAN;

const modules = new Map<string, object>();

/**
 * The WebAssembly paths that fall back to TypeScript when they give up: the type scan and cycle check, the name
 * hashing, the raw/JSON dumps, the C dump's ordering plan and the whole C dump.
 */
export type WasmPath = "scan" | "names" | "core-names" | "dump" | "c-order" | "c-dump";

const outcomes = new Map<WasmPath, string>();

/**
 * Records how the latest run of `path` ended: "complete" when its answer is the one used (the scan: "cycle" when
 * it found one; the raw/JSON dumps: how many types the fallback wrote in between), otherwise why it gave up. The
 * fallback hides a give-up from every output, so tests read this (lastWasmOutcome) to see that the path ran.
 */
export function recordWasmOutcome(path: WasmPath, outcome: string): void {
  outcomes.set(path, outcome);
}

/** How the latest run of `path` ended (see recordWasmOutcome); "" before any. */
export function lastWasmOutcome(path: WasmPath): string {
  return outcomes.get(path) ?? "";
}

/**
 * A memory its last user released, held weakly: reused if someone asks before the garbage collector frees it.
 * Only one is kept (the latest); pipelines release one memory and then take one.
 */
let spare: WeakRef<WasmMemory> | undefined;
/** What the spare's last user said it left in it (see releaseMemory). */
let spareLeftover: unknown;

/**
 * Hands a memory back for reuse. The caller must drop every view into it: the next user overwrites it.
 * `leftover` describes data the next user may find useful where it lies (the scan leaves a BTF's type words and
 * starts): whoever takes the memory gets it from instantiate, and must check it is about the data it wants.
 */
export function releaseMemory(memory: WasmMemory, leftover?: unknown): void {
  spare = new WeakRef(memory);
  spareLeftover = leftover;
}

function takeSpare(bytes: number): { memory: WasmMemory; leftover: unknown } | undefined {
  const memory = spare?.deref();
  if (memory === undefined || memory.buffer.byteLength < bytes) return undefined;
  const leftover = spareLeftover;
  spare = undefined;
  spareLeftover = undefined;
  return { memory, leftover };
}

/**
 * An instance of the module in `base64` with a memory of at least `bytes` (rounded up to pages): a fresh, zeroed
 * memory, or with `reuse` a released one when it is large enough. A reused memory holds its last user's data, so a
 * caller asking for reuse must clear what it expects to be zero.
 */
export function instantiate<E>(
  base64: string,
  bytes: number,
  reuse = false,
): { exports: E; memory: WasmMemory; leftover?: unknown } | undefined {
  if (!wasmApi || !HOST_LITTLE_ENDIAN || bytes > MAX_PAGES * PAGE - PAGE) return undefined;
  let module = modules.get(base64);
  if (!module) {
    module = new wasmApi.Module(base64Bytes(base64));
    modules.set(base64, module);
  }
  const pages = Math.ceil(bytes / PAGE) + 1;
  const taken = reuse ? takeSpare(pages * PAGE) : undefined;
  const initial = reuse ? Math.min(MAX_PAGES, pages * REUSE_HEADROOM) : pages;
  const memory = taken?.memory ?? new wasmApi.Memory({ initial, maximum: MAX_PAGES });
  const table = new wasmApi.Table({ initial: 0, element: "anyfunc" });
  const instance = new wasmApi.Instance(module, { env: { __linear_memory: memory, __indirect_function_table: table } });
  return { exports: instance.exports as E, memory, leftover: taken?.leftover };
}
