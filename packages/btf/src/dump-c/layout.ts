// Sizes and alignments the way libbpf 1.1 computes them (btf__resolve_size, btf__align_of, btf_ptr_sz): the C
// dumper's padding and `packed` decisions depend on these exact rules, including their error cases (an
// unresolvable size counts as 0, an unknown alignment as 0).

import { Kind } from "../kinds.js";
import { LONG_INT_NAMES } from "../long-names.js";
import { BtfDumpError } from "./errors.js";
import type { TypeTable } from "./type-table.js";

/** libbpf's MAX_RESOLVE_DEPTH for size resolution. */
const MAX_RESOLVE_DEPTH = 32;
/** Deeper than any real type nesting; only a malformed by-value cycle gets here. */
const MAX_ALIGN_DEPTH = 1000;
const U32_MAX = 0xffffffff;

/** The size of the first 4- or 8-byte integer named like `long`, or 0 when there is none (libbpf: -1). */
export function guessPointerSize(table: TypeTable): number {
  const { words, starts } = table;
  for (let id = 1; id < table.count; id++) {
    // The kind straight from the record: the WebAssembly dump never builds the table's per-id kinds.
    if (((words[starts[id]! + 1]! >>> 24) & 0x1f) !== Kind.INT) continue;
    const size = words[starts[id]! + 2]!;
    if (size !== 4 && size !== 8) continue;
    if (LONG_INT_NAMES.has(table.name(id))) return size;
  }
  return 0;
}

export class Layout {
  /** Alignment plus one per id, 0 while not yet computed (alignments are at most the pointer size). */
  private readonly alignCache: Uint8Array;

  constructor(
    private readonly table: TypeTable,
    /** Pointer size used for sizes and alignments (libbpf's btf_ptr_sz: guessed, else the host's 8). */
    readonly pointerSize: number,
  ) {
    this.alignCache = new Uint8Array(table.count);
  }

  /**
   * btf__resolve_size: bytes of a type, or -1 where libbpf returns an error (void, fwd, func, too deep, overflow).
   * Not cached: the dumper asks once per struct member and the walk is a few words long (a per-id cache cost half
   * a MiB on vmlinux and saved no measurable time).
   */
  resolveSize(typeId: number): number {
    const { kinds, words, starts } = this.table;
    let id = typeId;
    let nelems = 1;
    let size = -1;
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH && id !== 0; depth++) {
      const kind = kinds[id]!;
      const at = starts[id]!;
      if (kind === Kind.FWD) break;
      if (
        kind === Kind.INT ||
        kind === Kind.STRUCT ||
        kind === Kind.UNION ||
        kind === Kind.ENUM ||
        kind === Kind.ENUM64 ||
        kind === Kind.DATASEC ||
        kind === Kind.FLOAT
      ) {
        size = words[at + 2]!;
        break;
      }
      if (kind === Kind.PTR) {
        size = this.pointerSize;
        break;
      }
      if (
        kind === Kind.TYPEDEF ||
        kind === Kind.VOLATILE ||
        kind === Kind.CONST ||
        kind === Kind.RESTRICT ||
        kind === Kind.VAR ||
        kind === Kind.DECL_TAG ||
        kind === Kind.TYPE_TAG
      ) {
        id = words[at + 2]!;
      } else if (kind === Kind.ARRAY) {
        const count = words[at + 5]!;
        if (nelems !== 0 && count > Math.floor(U32_MAX / nelems)) return -1;
        nelems *= count;
        id = words[at + 3]!;
      } else {
        return -1;
      }
    }
    if (size < 0) return -1;
    if (nelems !== 0 && size > Math.floor(U32_MAX / nelems)) return -1;
    return nelems * size;
  }

  /** btf__align_of: natural alignment, 1 for a struct whose layout proves it packed, 0 where libbpf fails. */
  alignOf(id: number, depth = 0): number {
    const cached = this.alignCache[id]!;
    if (cached !== 0) return cached - 1;
    if (depth > MAX_ALIGN_DEPTH) throw new BtfDumpError("TOO_DEEP", "type nesting too deep computing alignment", id);
    const align = this.computeAlign(id, depth);
    this.alignCache[id] = align + 1;
    return align;
  }

  private computeAlign(id: number, depth: number): number {
    const { kinds, words, starts } = this.table;
    const kind = id === 0 ? 0 : kinds[id]!;
    const at = starts[id]!;
    switch (kind) {
      case Kind.INT:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.FLOAT:
        return Math.min(this.pointerSize, words[at + 2]!);
      case Kind.PTR:
        return this.pointerSize;
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
        return this.alignOf(words[at + 2]!, depth + 1);
      case Kind.ARRAY:
        return this.alignOf(words[at + 3]!, depth + 1);
      case Kind.STRUCT:
      case Kind.UNION: {
        const info = words[at + 1]!;
        const vlen = info & 0xffff;
        const bitfields = info >>> 31 === 1;
        let maxAlign = 1;
        for (let i = 0, p = at + 3; i < vlen; i++, p += 3) {
          const align = this.alignOf(words[p + 1]!, depth + 1);
          if (align <= 0) return align;
          if (align > maxAlign) maxAlign = align;
          const offset = words[p + 2]!;
          const bitSize = bitfields ? offset >>> 24 : 0;
          const bitOffset = bitfields ? offset & 0xffffff : offset;
          // A field off its natural alignment can only come from a packed struct.
          if (bitSize === 0 && bitOffset % (8 * align) !== 0) return 1;
        }
        if (words[at + 2]! % maxAlign !== 0) return 1;
        return maxAlign;
      }
      default:
        return 0;
    }
  }

  /**
   * Whether a struct needs `__attribute__((packed))` to get its recorded layout: some non-bitfield member is off
   * its type's alignment, or the size is not a multiple of the largest member alignment.
   */
  isStructPacked(id: number): boolean {
    const { words, starts } = this.table;
    const at = starts[id]!;
    const info = words[at + 1]!;
    const vlen = info & 0xffff;
    const bitfields = info >>> 31 === 1;
    let maxAlign = 1;
    for (let i = 0, p = at + 3; i < vlen; i++, p += 3) {
      const align = this.alignOf(words[p + 1]!);
      const offset = words[p + 2]!;
      const bitSize = bitfields ? offset >>> 24 : 0;
      // libbpf tests the raw offset word here, bitfield size bits included (they are 0 when bitSize is 0).
      if (align !== 0 && bitSize === 0 && offset % (8 * align) !== 0) return true;
      if (align > maxAlign) maxAlign = align;
    }
    return words[at + 2]! % maxAlign !== 0;
  }
}
