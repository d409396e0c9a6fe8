// Runs a whole C dump (ordering and emission) in WebAssembly: dump-c-emit.c, which includes the ordering pass of
// dump-c-order.c, so that one instance in one memory orders and writes, type by type. The type words, starts and
// the used part of the strings are copied in once; the text is collected in an output buffer in the module's
// memory and handed out in chunks of at least 64 KiB, cut after the same top-level ids as the TypeScript emitter's. When the module gives up
// (malformed input, or something it does not handle), the caller redoes the dump in TypeScript and drops the
// bytes already handed out, so what it sees is exactly the TypeScript output and errors.

import { DUMP_C_EMIT_WASM_BASE64 } from "./dump-c-emit.generated.js";
import { instantiate, recordWasmOutcome, releaseMemory, type WasmMemory, wasmAvailable } from "./instance.js";

interface EmitExports {
  emit_setup(emitter: number, order: number): number;
  emit_types(emitter: number, order: number, id: number, end: number): number;
}

/** What the dump needs of a validated type table (every id and string offset in range). */
export interface EmitInput {
  readonly words: Uint32Array;
  readonly starts: Uint32Array;
  readonly strings: Uint8Array;
}

/** Word indexes of the fields of `struct emitter` in dump-c-emit/state.h. */
const F = {
  words: 0,
  starts: 1,
  count: 2,
  str: 3,
  strLen: 4,
  pointerSize: 5,
  typeState: 6,
  suffix: 7,
  decl: 8,
  declCap: 9,
  out: 11,
  outCap: 12,
  outLen: 13,
  failed: 15,
  namesArea: 16,
  namesAreaWords: 17,
} as const;

/** Why the module gave up, by `failed` code (dump-c-emit/state.h). */
const GIVE_UP_REASONS = [
  "",
  "too deep",
  "too large",
  "output full",
  "long name",
  "decl stack",
  "name table",
  "suffix",
  "order",
];

const EMITTER_AT = 0;
/** `struct plan` of dump-c-order.c (7 u32), the ordering state, follows the emitter's 26 words. */
const PLAN_AT = 128;
const WORDS_AT = 256;
/** Entries of the declaration stack; a declaration chain needs one per pointer, array or qualifier. */
const DECL_CAPACITY = 1 << 16;
/**
 * Output buffer: one chunk (64 KiB) plus the largest output of one top-level type (vmlinux: a few KiB; a type
 * that needs more gives up). Only the touched pages are ever faulted in.
 */
const OUT_CAPACITY = 1 << 20;
/** Room kept after the output buffer's capacity for the footer, which is appended here. */
const FOOTER_ROOM = 1024;
/** Offsets are 32-bit inside the module; stay far below that. */
const MAX_BYTES = 1 << 30;

/** Slots NameCounter gives `expected` names (emit_setup sizes the tables exactly; this only reserves room). */
function tableSlots(expected: number): number {
  let slots = 1024;
  while (slots * 3 < expected * 4) slots *= 2;
  return slots;
}

const align8 = (n: number) => (n + 7) & ~7;

export function wasmEmitApplies(): boolean {
  return wasmAvailable;
}

/**
 * One whole dump in WebAssembly. Call {@link next} until it returns undefined, then check {@link gaveUp}; call
 * {@link release} when done (also on an early exit) to hand the memory to the next WebAssembly user.
 */
export class WasmCDump {
  /** Why the module gave up, or undefined while it has not. */
  gaveUp: string | undefined;
  private memory: WasmMemory | undefined;
  private nextId = 1;
  private finished = false;

  private constructor(
    private readonly exports: EmitExports,
    memory: WasmMemory,
    private readonly count: number,
    private readonly outAt: number,
    private readonly footer: Uint8Array,
  ) {
    this.memory = memory;
  }

  /**
   * Prepares the dump of ids 1..count-1, with `header` already in the output. Undefined when this path does not
   * apply (nothing written).
   */
  static start(table: EmitInput, pointerSize: number, header: string, footer: string): WasmCDump | undefined {
    const { words, starts, strings } = table;
    const count = starts.length;
    // Layout: emitter | ordering state | words | starts | order | referenced | type state | suffix (u16) | strings |
    // queue | decl stack | name tables | output. The queue (one top-level type's), the stack, the tables and the
    // output have room for the worst case; only the pages they touch are ever faulted in, and on this kind of
    // machine (a VM) faulting in a fresh page costs more than filling it.
    const startsAt = WORDS_AT + words.length * 4;
    const orderAt = startsAt + count * 4;
    const referencedAt = orderAt + count;
    const typeStateAt = referencedAt + count;
    const suffixAt = align8(typeStateAt + count);
    const stringsAt = suffixAt + 2 * count;
    const queueAt = align8(stringsAt + strings.length + 1);
    const declAt = queueAt + count * 4;
    const namesAt = declAt + DECL_CAPACITY * 4;
    // Upper bounds of the names per namespace (tags: at most one per type; identifiers: typedefs plus
    // enumerators, each enumerator at least two words); emit_setup uses only what the exact counts need.
    const namesWords = 2 * tableSlots(count) + 2 * tableSlots(count + (words.length >>> 1));
    const outAt = namesAt + namesWords * 4;
    const total = outAt + OUT_CAPACITY + FOOTER_ROOM;
    // Alignments are cached in 4 bits (dump-c-emit/state.h), enough for the pointer sizes the dump takes.
    if (!wasmAvailable || count < 2 || total > MAX_BYTES || (pointerSize !== 4 && pointerSize !== 8)) return undefined;
    const wasm = instantiate<EmitExports>(DUMP_C_EMIT_WASM_BASE64, total, true);
    if (!wasm) return undefined;
    const { exports, memory } = wasm;
    const { buffer } = memory;
    const heap = new Uint8Array(buffer);
    new Uint32Array(buffer, WORDS_AT, words.length).set(words);
    new Uint32Array(buffer, startsAt, count).set(starts);
    // A reused memory is not zeroed: clear the per-type state that starts at zero.
    heap.fill(0, orderAt, stringsAt);
    recordWasmOutcome("c-dump", "running");
    const encoder = new TextEncoder();
    const run = new WasmCDump(exports, memory, count, outAt, encoder.encode(footer));

    // struct plan { words, starts, order, referenced, queue, queue_end, nesting }
    new Uint32Array(buffer, PLAN_AT, 16).fill(0).set([WORDS_AT, startsAt, orderAt, referencedAt, queueAt]);
    const fields = new Uint32Array(buffer, EMITTER_AT, 32).fill(0);
    fields[F.words] = WORDS_AT;
    fields[F.starts] = startsAt;
    fields[F.count] = count;
    fields[F.str] = stringsAt;
    fields[F.strLen] = strings.length;
    fields[F.pointerSize] = pointerSize;
    fields[F.typeState] = typeStateAt;
    fields[F.suffix] = suffixAt;
    fields[F.decl] = declAt;
    fields[F.declCap] = DECL_CAPACITY;
    fields[F.out] = outAt;
    fields[F.outCap] = OUT_CAPACITY;
    fields[F.namesArea] = namesAt;
    fields[F.namesAreaWords] = namesWords;
    const lastName = exports.emit_setup(EMITTER_AT, PLAN_AT) >>> 0;
    if (fields[F.failed] !== 0) return run.giveUp("name table");
    // Only the names the dump can print: up to the end of the last one (at most the whole section, then a NUL).
    const nul = strings.indexOf(0, lastName);
    const used = nul < 0 ? strings.length : nul + 1;
    heap.set(strings.subarray(0, used), stringsAt);
    heap[stringsAt + used] = 0;
    const head = encoder.encode(header);
    heap.set(head, outAt);
    fields[F.outLen] = head.length;
    return run;
  }

  /**
   * The next piece of the dump: at least 64 KiB ending after a complete top-level id, or the rest with the footer.
   * A view into the module's memory, valid until the next call. Undefined at the end, or when the module gave up.
   */
  next(): Uint8Array | undefined {
    const memory = this.memory;
    if (this.finished || this.gaveUp !== undefined || memory === undefined) return undefined;
    const fields = new Uint32Array(memory.buffer, EMITTER_AT, 32);
    const next = this.call(() => this.exports.emit_types(EMITTER_AT, PLAN_AT, this.nextId, this.count));
    if (next < 0 || fields[F.failed] !== 0) {
      this.giveUp(this.gaveUp ?? GIVE_UP_REASONS[fields[F.failed]!] ?? "unknown");
      return undefined;
    }
    this.nextId = next;
    let length = fields[F.outLen]!;
    const heap = new Uint8Array(memory.buffer);
    if (next === this.count) {
      heap.set(this.footer, this.outAt + length);
      length += this.footer.length;
      this.finished = true;
      recordWasmOutcome("c-dump", "complete");
    }
    fields[F.outLen] = 0;
    if (length === 0) return undefined;
    return heap.subarray(this.outAt, this.outAt + length);
  }

  /** Hands the memory to the next WebAssembly user; no view from {@link next} may be read afterwards. */
  release(): void {
    if (this.memory !== undefined) releaseMemory(this.memory);
    this.memory = undefined;
  }

  private giveUp(reason: string): this {
    this.gaveUp = reason;
    recordWasmOutcome("c-dump", reason);
    return this;
  }

  /**
   * Calls into the module; a wasm stack overflow (RangeError) or trap (WebAssembly.RuntimeError) on odd input is a
   * give-up like any other: the TypeScript path then decides. Returns -1 then.
   */
  private call(f: () => number): number {
    try {
      return f();
    } catch (err) {
      const runtimeError = (globalThis as { WebAssembly?: { RuntimeError: new () => Error } }).WebAssembly
        ?.RuntimeError;
      if (err instanceof RangeError) this.giveUp("stack");
      else if (runtimeError !== undefined && err instanceof runtimeError) this.giveUp("trap");
      else throw err;
      return -1;
    }
  }
}
