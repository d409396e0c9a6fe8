// Entry points on a parsed Btf. The pointer size defaults to the Btf's own (libbpf's guess from `long`, or what
// the caller set with setPointerSize, e.g. from the ELF class).
import type { Btf } from "../btf.js";
import { type DumpCOptions, dumpTableAsCBytes, dumpTableAsCChunks, dumpTableAsCTo } from "./dump.js";
import { TypeTable } from "./type-table.js";

function withPointerSize(btf: Btf, options: DumpCOptions): DumpCOptions {
  if (options.pointerSize !== undefined) return options;
  return { ...options, pointerSize: btf.pointerSize === 4 ? 4 : 8 };
}

/** `bpftool btf dump file F format c` as a string. Throws BtfDumpError where bpftool fails. */
export function dumpBtfC(btf: Btf, options: DumpCOptions = {}): string {
  return new TextDecoder().decode(dumpBtfCBytes(btf, options));
}

/** The same dump as the UTF-8 bytes bpftool writes. */
export function dumpBtfCBytes(btf: Btf, options: DumpCOptions = {}): Uint8Array {
  return dumpTableAsCBytes(new TypeTable(btf), withPointerSize(btf, options));
}

/**
 * The same dump in byte chunks of at least 64 KiB (last one shorter), produced lazily: write each as it comes
 * to keep memory flat. If the dump fails half way (a type cycle), the chunks already yielded stay valid, like the
 * partial output bpftool leaves behind.
 */
export function dumpBtfCChunks(btf: Btf, options: DumpCOptions = {}): Generator<Uint8Array, void, void> {
  return dumpTableAsCChunks(new TypeTable(btf), withPointerSize(btf, options));
}

/**
 * The same dump pushed into `write` in pieces of at least 64 KiB, each a view of one reused buffer that is valid
 * only during the call (write it out, e.g. with fs.writeSync, or copy it). The lowest-memory way to stream.
 */
export function dumpBtfCTo(btf: Btf, write: (bytes: Uint8Array) => void, options: DumpCOptions = {}): void {
  dumpTableAsCTo(new TypeTable(btf), write, withPointerSize(btf, options));
}
