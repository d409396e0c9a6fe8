// Entry points on a parsed Btf. The pointer size defaults to the Btf's own (libbpf's guess from `long`, or what
// the caller set with setPointerSize, e.g. from the ELF class).
import type { Btf } from "../btf.js";
import { type DumpCOptions, dumpTableAsCBytes, dumpTableAsCChunks, dumpTableAsCTo } from "./dump.js";
import { typeTableFromBtf } from "./from-btf.js";

function withPointerSize(btf: Btf, options: DumpCOptions): DumpCOptions {
  if (options.pointerSize !== undefined) return options;
  return { ...options, pointerSize: btf.pointerSize === 4 ? 4 : 8 };
}

/** `bpftool btf dump file F format c` as a string. Throws BtfDumpError where bpftool fails. */
export function dumpBtfAsC(btf: Btf, options: DumpCOptions = {}): string {
  return new TextDecoder().decode(dumpBtfAsCBytes(btf, options));
}

/** The same dump as the UTF-8 bytes bpftool writes. */
export function dumpBtfAsCBytes(btf: Btf, options: DumpCOptions = {}): Uint8Array {
  return dumpTableAsCBytes(typeTableFromBtf(btf), withPointerSize(btf, options));
}

/**
 * The same dump in byte chunks of at least 64 KiB (last one shorter), produced lazily: write each as it comes
 * to keep memory flat. If the dump fails half way (a type cycle), the chunks already yielded stay valid, like the
 * partial output bpftool leaves behind.
 */
export function dumpBtfAsCChunks(btf: Btf, options: DumpCOptions = {}): Generator<Uint8Array, void, void> {
  return dumpTableAsCChunks(typeTableFromBtf(btf), withPointerSize(btf, options));
}

/**
 * The same dump pushed into `write` in pieces of at least 64 KiB, each a view of one reused buffer that is valid
 * only during the call (write it out, e.g. with fs.writeSync, or copy it). The lowest-memory way to stream.
 */
export function dumpBtfAsCTo(btf: Btf, write: (bytes: Uint8Array) => void, options: DumpCOptions = {}): void {
  dumpTableAsCTo(typeTableFromBtf(btf), write, withPointerSize(btf, options));
}
