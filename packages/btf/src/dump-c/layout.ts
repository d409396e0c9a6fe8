// Sizes and alignments the way libbpf 1.1 computes them (btf__resolve_size, btf__align_of, btf_ptr_sz): the C
// dumper's padding and `packed` decisions depend on these exact rules, including their error cases (an
// unresolvable size counts as 0, an unknown alignment as 0).

import { type AlignView, alignmentOf, resolveSizeOrErrno } from "../walks.js";
import { BtfDumpError } from "./errors.js";
import type { TypeTable } from "./type-table.js";

/** Deeper than any real type nesting; only a malformed by-value cycle gets here. */
const MAX_ALIGN_DEPTH = 1000;

export class Layout implements AlignView {
  /** Alignment plus one per id, 0 while not yet computed (alignments are at most the pointer size). */
  private readonly alignCache: Uint8Array;
  /** resolveSize's answer plus two per id (so -1 is 1), 0 while not yet computed: member types repeat a lot. */
  private readonly sizeCache: Float64Array;

  constructor(
    private readonly table: TypeTable,
    /** Pointer size used for sizes and alignments (libbpf's btf_ptr_sz: guessed, else the host's 8). */
    readonly pointerSize: number,
  ) {
    this.alignCache = new Uint8Array(table.count);
    this.sizeCache = new Float64Array(table.count);
  }

  /** btf__resolve_size (walks.ts, the one implementation): bytes of a type, or -1 where libbpf returns an error. */
  resolveSize(typeId: number): number {
    const cached = this.sizeCache[typeId];
    if (cached !== undefined && cached !== 0) return cached - 2;
    const raw = resolveSizeOrErrno(this, typeId);
    const size = raw < 0 ? -1 : raw;
    if (cached !== undefined) this.sizeCache[typeId] = size + 2;
    return size;
  }

  // The type view resolveSizeOrErrno walks, read from the flat table.
  get typeCount(): number {
    return this.table.count;
  }
  kind(id: number): number {
    return this.table.kinds[id]!;
  }
  refType(id: number): number {
    return this.table.sizeOrType(id);
  }
  arrayLength(id: number): number {
    return this.table.words[this.table.starts[id]! + 5]!;
  }
  arrayElemType(id: number): number {
    return this.table.words[this.table.starts[id]! + 3]!;
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
    return alignmentOf(this, id, (type) => this.alignOf(type, depth + 1));
  }

  // Members, for alignmentOf.
  vlen(id: number): number {
    return this.table.vlen(id);
  }
  memberType(id: number, index: number): number {
    return this.table.words[this.table.starts[id]! + 4 + index * 3]!;
  }
  memberBitOffset(id: number, index: number): number {
    const raw = this.table.words[this.table.starts[id]! + 5 + index * 3]!;
    return this.table.kindFlag(id) ? raw & 0xffffff : raw;
  }
  memberBitfieldSize(id: number, index: number): number {
    return this.table.kindFlag(id) ? this.table.words[this.table.starts[id]! + 5 + index * 3]! >>> 24 : 0;
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
