// Everything one C dump carries from type to type: the table, layout and naming helpers, the per-type ordering
// and emission state of libbpf's btf_dump, the shared declaration stack, and the text produced so far.
import { BtfDumpError } from "./errors.js";
import { ARRAY, DATASEC, FUNC_PROTO, headRefersToType, STRUCT, UNION } from "./kinds.js";
import { Layout } from "./layout.js";
import { NameResolver } from "./names.js";
import type { TypeTable } from "./type-table.js";

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

const TABS = Array.from({ length: 14 }, (_, n) => "\t".repeat(n));

/** Indentation for a nesting level; libbpf caps it at 13 tabs. */
export function indent(level: number): string {
  return TABS[Math.min(level, 13)]!;
}

export class DumpState {
  readonly order: Uint8Array;
  readonly emit: Uint8Array;
  /** A forward declaration (or, for a typedef, its definition) was already written. */
  readonly forwardDone: Uint8Array;
  /** Some other type refers to this one; tells a top-level anonymous enum from an inline one. */
  readonly referenced: Uint8Array;
  readonly names: NameResolver;
  readonly layout: Layout;
  /** Types queued by ordering for emission at top level. */
  queue: number[] = [];
  /** Shared stack of declaration chains; each chain uses the slice above where it started. */
  declStack = new Uint32Array(64);
  declTop = 0;
  /** Current depth of nested declarations, guarded by MAX_NESTING. */
  nesting = 0;
  /** Text produced since the last flush. */
  out = "";

  constructor(
    readonly table: TypeTable,
    /** btf_dump's ptr_sz: decides the `long` padding unit (guessed from the BTF, else 8). */
    readonly pointerSize: number,
  ) {
    const n = table.count;
    this.order = new Uint8Array(n);
    this.emit = new Uint8Array(n);
    this.forwardDone = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.order[0] = ORDERED;
    this.emit[0] = EMITTED;
    this.names = new NameResolver(table);
    this.layout = new Layout(table, pointerSize);
    this.markReferenced();
  }

  pushDecl(id: number): void {
    if (this.declTop === this.declStack.length) {
      const grown = new Uint32Array(this.declStack.length * 2);
      grown.set(this.declStack);
      this.declStack = grown;
    }
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
          if (headRefersToType(kind)) ref[words[at + 2]!] = 1;
          break;
      }
    }
  }
}
