// Everything one C dump carries from type to type: the table, layout and naming helpers, the per-type ordering
// and emission state of libbpf's btf_dump, the shared declaration stack, and the text produced so far.

import { hasTypeRef, Kind } from "../kinds.js";
import type { DumpPlan } from "../wasm/dump-c-order.js";
import { BtfDumpError } from "./errors.js";
import { Layout } from "./layout.js";
import { NameResolver } from "./names.js";
import type { TypeTable } from "./type-table.js";
import { ByteWriter } from "./writer.js";

// Kind numbers as module constants: read in code that runs unoptimized (one-shot dumps), `Kind.X` is a
// property load at every use, and a switch evaluates its cases one by one.
const { ARRAY, STRUCT, UNION, FUNC_PROTO, DATASEC } = Kind;

/** Ordering (topological sort) state per type. */
export const NOT_ORDERED = 0;
export const ORDERING = 1;
export const ORDERED = 2;

/** Emission state per type. */
export const NOT_EMITTED = 0;
export const EMITTING = 1;
export const EMITTED = 2;

/** Recursion deeper than this means a malformed cycle (through pointers, modifiers or anonymous types). */
export const MAX_NESTING = 1000;

/** Indentation for a nesting level in tabs; libbpf caps it at 13. */
export function indent(level: number): number {
  return Math.min(level, 13);
}

/** libbpf formats a renamed identifier into a 256-byte buffer: at most 255 bytes survive. */
const MAX_RENAMED_LENGTH = 255;

export class DumpState {
  readonly order: Uint8Array;
  readonly emit: Uint8Array;
  /** A forward declaration (or, for a typedef, its definition) was already written. */
  readonly forwardDone: Uint8Array;
  /** Some other type refers to this one; tells a top-level anonymous enum from an inline one. */
  readonly referenced: Uint8Array;
  readonly names: NameResolver;
  readonly layout: Layout;
  /**
   * Types the ordering of the current top-level type queued for emission (libbpf's emit_queue, emptied per
   * top-level type). It grows on demand: most top-level types queue a handful, the first big struct a few
   * thousand, so a `count`-sized array (half a MiB on vmlinux) would sit mostly unused.
   */
  queue: Uint32Array = new Uint32Array(256);
  queueEnd = 0;
  /** Shared stack of declaration chains; each chain uses the slice above where it started. */
  declStack: Uint32Array = new Uint32Array(64);
  declTop = 0;
  /** The struct/union whose body is being written (for error context). */
  currentStruct = 0;
  /** Current depth of nested declarations, guarded by MAX_NESTING. */
  nesting = 0;
  /** Output produced since the last flush. */
  readonly w: ByteWriter;
  /** libbpf's strip_mods: declarations leave out const/volatile/restrict and type tags (gen skeleton's data). */
  stripMods = false;
  /** The name a FIELD_NAME declaration declares (btf_dump__emit_type_decl's field_name). */
  fieldName = "";

  constructor(
    readonly table: TypeTable,
    /** btf_dump's ptr_sz: decides the `long` padding unit (guessed from the BTF, else 8). */
    readonly pointerSize: number,
    /**
     * The whole dump's ordering, computed up front (WebAssembly); then the ids must be dumped 1..N in order
     * and `order` stays unused. Undefined: ordering runs type by type in JavaScript.
     */
    readonly plan?: DumpPlan,
  ) {
    const n = table.count;
    // With a plan, ordering already happened: no per-type ordering state or queue is needed.
    this.order = new Uint8Array(plan ? 0 : n);
    this.emit = new Uint8Array(n);
    this.forwardDone = new Uint8Array(n);
    this.referenced = plan ? plan.referenced : new Uint8Array(n);
    if (!plan) this.order[0] = ORDERED;
    this.emit[0] = EMITTED;
    this.names = new NameResolver(table);
    this.layout = new Layout(table, pointerSize);
    this.w = new ByteWriter(table.strings);
    if (!plan) this.markReferenced();
  }

  /** Writes a struct/union/enum/fwd name as C sees it (with its `___n` suffix if it needs one). */
  writeTagName(id: number): void {
    const offset = this.table.nameOffset(id);
    if (offset !== 0) this.writeName(offset, this.names.tagSuffix(id));
  }

  /** Writes a typedef name as C sees it. */
  writeIdentName(id: number): void {
    const offset = this.table.nameOffset(id);
    if (offset !== 0) this.writeName(offset, this.names.identSuffix(id));
  }

  /** Writes the name at `offset`, renamed to `name___n` when `n` > 1. */
  writeName(offset: number, n: number): void {
    if (n <= 1) {
      this.w.name(offset);
      return;
    }
    const renamed = `${this.table.string(offset)}___${n}`;
    if (renamed.length <= MAX_RENAMED_LENGTH) {
      this.w.name(offset);
      this.w.text("___");
      this.w.int(n);
    } else {
      this.w.unicode(renamed.slice(0, MAX_RENAMED_LENGTH));
    }
  }

  enqueue(id: number): void {
    if (this.queueEnd === this.queue.length) this.queue = grow(this.queue);
    this.queue[this.queueEnd++] = id;
  }

  pushDecl(id: number): void {
    if (this.declTop === this.declStack.length) this.declStack = grow(this.declStack);
    this.declStack[this.declTop++] = id;
  }

  enter(id: number): void {
    if (++this.nesting > MAX_NESTING) {
      throw new BtfDumpError("TOO_DEEP", "type references nest too deep (malformed cycle?)", id);
    }
  }

  leave(): void {
    this.nesting--;
  }

  /** Marks every type that another type points at (function prototype return types excepted, as in libbpf). */
  private markReferenced(): void {
    const { kinds, words, starts, count } = this.table;
    const ref = this.referenced;
    for (let id = 1; id < count; id++) {
      const kind = kinds[id]!;
      const at = starts[id]!;
      const vlen = words[at + 1]! & 0xffff;
      switch (kind) {
        case ARRAY:
          ref[words[at + 4]!] = 1;
          ref[words[at + 3]!] = 1;
          break;
        case STRUCT:
        case UNION:
          for (let i = 0, p = at + 4; i < vlen; i++, p += 3) ref[words[p]!] = 1;
          break;
        case FUNC_PROTO:
          for (let i = 0, p = at + 4; i < vlen; i++, p += 2) ref[words[p]!] = 1;
          break;
        case DATASEC:
          for (let i = 0, p = at + 3; i < vlen; i++, p += 3) ref[words[p]!] = 1;
          break;
        default:
          // Modifiers, pointers, typedefs, funcs, vars and tags refer to one type in their head.
          if (hasTypeRef(kind)) ref[words[at + 2]!] = 1;
          break;
      }
    }
  }
}

/** A copy of `array` with twice the room. */
function grow(array: Uint32Array): Uint32Array {
  const grown = new Uint32Array(array.length * 2);
  grown.set(array);
  return grown;
}
