// Whole-BTF C dump, the text of `bpftool btf dump file F format c` (bpftool 7.1 / libbpf 1.1): a vmlinux.h style
// header guard and preserve_access_index pragma, then every type id from 1 up through libbpf's per-type
// "order, then emit" step, then the footer. Output is produced in chunks of at least 64 KiB.
import type { Engine } from "../btf.js";
import { concatBytes } from "../byte-sink.js";
import { WasmCDump, wasmEmitApplies } from "../wasm/dump-c-emit.js";
import { planWholeDumpWasm, releasePlan, wasmPlanApplies } from "../wasm/dump-c-order.js";
import { emitType } from "./emit.js";
import { BtfDumpError } from "./errors.js";
import { orderType } from "./order.js";
import { DumpState } from "./state.js";
import type { TypeTable } from "./type-table.js";

export const VMLINUX_HEADER =
  "#ifndef __VMLINUX_H__\n" +
  "#define __VMLINUX_H__\n" +
  "\n" +
  "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n" +
  "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n" +
  "#endif\n\n";

export const VMLINUX_FOOTER =
  "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n" +
  "#pragma clang attribute pop\n" +
  "#endif\n" +
  "\n" +
  "#endif /* __VMLINUX_H__ */\n";

/** Chunks handed out by the streaming dump are at least this long (except the last). */
export const CHUNK_SIZE = 64 * 1024;

export interface DumpCOptions {
  /**
   * Pointer size in bytes. Default: the size of the BTF's `long` (libbpf's guess), else 8. An ELF object's
   * class decides it for libbpf (ELF64: 8), so pass 8 for objects whose BTF has no `long`.
   */
  readonly pointerSize?: 4 | 8;
  /** Dump only these types (and what they need), in this order, like `bpftool btf dump ... root_id N`. */
  readonly rootIds?: readonly number[];
  /** Write bpftool's `__VMLINUX_H__` header and footer around the types (default true). */
  readonly vmlinuxGuard?: boolean;
  /**
   * Which implementation orders and writes a whole dump (no `rootIds`): "auto" (default) uses WebAssembly for
   * large BTF such as vmlinux and TypeScript otherwise; "js" / "wasm" force one. The two steps can be picked
   * apart (`{ order: "wasm", emit: "js" }`); TypeScript ordering implies TypeScript emission. Where WebAssembly
   * gives up (malformed input, odd shapes) the dump is redone in TypeScript, whose output and errors are the
   * reference: the bytes written are identical either way.
   */
  readonly engine?: Engine | { readonly order: Engine; readonly emit: Engine };
}

/** From this many types on, a whole dump is ordered in WebAssembly by default (vmlinux has 126k). */
const WASM_MIN_TYPES = 4096;

function orderEngine(options: DumpCOptions): Engine {
  const engine = options.engine ?? "auto";
  return typeof engine === "string" ? engine : engine.order;
}

function emitEngine(options: DumpCOptions): Engine {
  const engine = options.engine ?? "auto";
  return typeof engine === "string" ? engine : engine.emit;
}

function planFor(table: TypeTable, options: DumpCOptions) {
  const ordering = orderEngine(options);
  if (options.rootIds !== undefined || ordering === "js" || !wasmPlanApplies()) return undefined;
  if (ordering === "auto" && table.count < WASM_MIN_TYPES) return undefined;
  return planWholeDumpWasm(table.words, table.starts);
}

/**
 * Yields the dump as UTF-8 byte chunks of at least {@link CHUNK_SIZE} bytes (the last may be shorter), each a
 * fresh buffer the caller may keep. Write them as they come to stream a large dump with little memory.
 */
export function* dumpTableAsCChunks(table: TypeTable, options: DumpCOptions = {}): Generator<Uint8Array, void, void> {
  for (const piece of dumpPieces(table, options)) yield piece.slice();
}

/**
 * Streams the dump into `write` in pieces of at least {@link CHUNK_SIZE} bytes (the last may be shorter). Each
 * piece is a view of one reused buffer, valid only during the call: write it out or copy it. Memory stays flat.
 */
export function dumpTableAsCTo(table: TypeTable, write: (bytes: Uint8Array) => void, options: DumpCOptions = {}): void {
  for (const piece of dumpPieces(table, options)) write(piece);
}

/** The whole dump as UTF-8 bytes (what bpftool writes to stdout). */
export function dumpTableAsCBytes(table: TypeTable, options: DumpCOptions = {}): Uint8Array {
  const pieces: Uint8Array[] = [];
  for (const piece of dumpPieces(table, options)) pieces.push(piece.slice());
  return concatBytes(pieces);
}

/**
 * The dump in pieces of at least {@link CHUNK_SIZE} bytes, each ending after a complete top-level type (the last
 * may be shorter): views valid until the next piece is asked for. The WebAssembly dump where it applies (see
 * {@link startWasmDump}); if it gives up, the TypeScript dump runs from the start and skips the bytes already
 * given, which are the same as its own first ones, so output and errors are always the TypeScript dump's.
 */
function* dumpPieces(table: TypeTable, options: DumpCOptions): Generator<Uint8Array, void, void> {
  let handed = 0;
  const run = startWasmDump(table, options);
  if (run !== undefined) {
    try {
      for (let piece = run.next(); piece !== undefined; piece = run.next()) {
        handed += piece.length;
        yield piece;
      }
      if (run.gaveUp === undefined) return;
    } finally {
      run.release();
    }
  }
  let skip = handed;
  for (const piece of typeScriptPieces(table, { ...options, engine: { order: orderEngine(options), emit: "js" } })) {
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    yield skip > 0 ? piece.subarray(skip) : piece;
    skip = 0;
  }
}

/**
 * The WebAssembly dump (ordering and emission), where it applies: a whole dump (no `rootIds`) not forced to the
 * JavaScript ordering or emitter, of large BTF by default. The TypeScript emitter stays the reference.
 */
function startWasmDump(table: TypeTable, options: DumpCOptions): WasmCDump | undefined {
  const emitter = emitEngine(options);
  if (emitter === "js" || orderEngine(options) === "js" || options.rootIds !== undefined || !wasmEmitApplies()) {
    return undefined;
  }
  if (emitter === "auto" && table.count < WASM_MIN_TYPES) return undefined;
  const guard = options.vmlinuxGuard !== false;
  return WasmCDump.start(table, pointerSizeFor(options), guard ? VMLINUX_HEADER : "", guard ? VMLINUX_FOOTER : "");
}

/** The TypeScript dump of every requested type and the footer, in pieces as {@link dumpPieces} describes. */
function* typeScriptPieces(table: TypeTable, options: DumpCOptions): Generator<Uint8Array, void, void> {
  const st = startDump(table, options);
  try {
    const roots = options.rootIds;
    const count = roots ? roots.length : table.count - 1;
    for (let i = 0; i < count; i++) {
      dumpOne(st, roots ? roots[i]! : i + 1);
      if (st.w.pos >= CHUNK_SIZE) yield st.w.drain();
    }
    if (options.vmlinuxGuard !== false) st.w.text(VMLINUX_FOOTER);
    if (st.w.pos > 0) yield st.w.drain();
  } finally {
    finishDump(st);
  }
}

function pointerSizeFor(options: DumpCOptions): number {
  // The entry points (api.ts) pass the Btf's own pointer size (libbpf's guess from `long`) unless given one.
  return options.pointerSize ?? 8;
}

function startDump(table: TypeTable, options: DumpCOptions): DumpState {
  const st = new DumpState(table, pointerSizeFor(options), planFor(table, options));
  if (options.vmlinuxGuard !== false) st.w.text(VMLINUX_HEADER);
  return st;
}

/** Hands the plan's WebAssembly memory to the next user (e.g. the next Btf.parse); the state is not used again. */
function finishDump(st: DumpState): void {
  if (st.plan !== undefined) releasePlan(st.plan);
}

/** libbpf btf_dump__dump_type: order the type's dependencies, then emit what the ordering queued. */
function dumpOne(st: DumpState, id: number): void {
  if (!(Number.isInteger(id) && id >= 0 && id < st.table.count)) {
    throw new BtfDumpError("BAD_ID", `no type with id ${id}`);
  }
  const plan = st.plan;
  if (plan !== undefined) {
    // Ordered up front: emit what ordering `id` queued (the callers dump ids 1..N in order with a plan).
    const queue = plan.queue;
    const end = plan.ends[id]!;
    for (let i = plan.ends[id - 1]!; i < end; i++) emitType(st, queue[i]!, 0);
    return;
  }
  st.queueEnd = 0;
  orderType(st, id, false);
  const queue = st.queue;
  for (let i = 0; i < st.queueEnd; i++) emitType(st, queue[i]!, 0);
}
