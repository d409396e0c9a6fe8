// Shared state of one dedup run: all types (void, base, split) in one word array indexed by type id, the
// canonical map, the hypothetical map used by graph equivalence, and the candidate index.

import { Kind, kindOf } from "../kinds.js";
import type { Scratch } from "../scratch.js";
import { CandidateTable, candidateTableSize } from "./candidate-table.js";
import { BtfDedupError } from "./errors.js";

/** libbpf's BTF_MAX_NR_TYPES: map values above it are markers, not ids. */
export const MAX_TYPE_ID = 0x7fffffff;
export const UNPROCESSED = 0xffffffff;
export const IN_PROGRESS = 0xfffffffe;

/**
 * About how many scratch bytes a dedup of `typeCount` ids (void and base included) over `words` type words takes:
 * the id-indexed tables, the candidate table, the compacted words and the id map (see Scratch.begin).
 */
export function dedupScratchBytes(typeCount: number, words: number): number {
  const { slots, entries } = candidateTableSize(typeCount);
  return typeCount * 13 + (64 + 5 * 64) * 4 + (3 * slots + 2 * entries) * 4 + words * 4 + 64;
}

export class DedupState {
  /** Type id -> word index of its record in `words`. Id 0 (void) points at three zero words. */
  readonly starts: Uint32Array;
  /** Type id -> canonical type id (or UNPROCESSED / IN_PROGRESS). */
  readonly map: Uint32Array;
  /** Canonical-graph id -> candidate-graph id during one equivalence check; reused for final ids later. */
  readonly hypotMap: Uint32Array;
  /** Ids set in hypotMap, in insertion order (first `hypotCount` entries). */
  hypotList: Uint32Array;
  hypotCount = 0;
  /** Frames of the equivalence walk, kept between calls to spare the garbage collector. */
  equivFrames: Int32Array;
  /** The last equivalence check would have had to resolve a base FWD, which base immutability forbids. */
  hypotAdjustCanon = false;
  readonly table: CandidateTable;
  /** Type id -> kind, cached because every pass asks for it constantly. */
  readonly kinds: Uint8Array;

  constructor(
    /** Type records of void + base + split, host order; split records are rewritten in place. */
    readonly words: Uint32Array,
    starts: Uint32Array,
    /** First id of the BTF being deduplicated (1 without a base). */
    readonly startId: number,
    /** Where the tables live (memory reused across dedup calls: for a static link's small BTF, allocating them cost more than the passes). */
    scratch: Scratch,
  ) {
    this.starts = starts;
    const count = starts.length;
    this.map = scratch.u32(count).fill(UNPROCESSED);
    this.hypotMap = scratch.u32(count).fill(UNPROCESSED);
    this.hypotList = scratch.u32(64);
    this.equivFrames = scratch.i32(5 * 64);
    this.kinds = scratch.u8(count);
    this.kinds[0] = Kind.UNKN;
    for (let id = 1; id < count; id++) this.kinds[id] = kindOf(words[(starts[id] as number) + 1] as number);
    this.map[0] = 0;
    for (let id = 1; id < count; id++) {
      const kind = this.kind(id);
      // VAR and DATASEC are never deduplicated; base types are canonical by definition.
      if (id < startId || kind === Kind.VAR || kind === Kind.DATASEC) this.map[id] = id;
    }
    this.table = new CandidateTable(count, scratch);
  }

  get typeCount(): number {
    return this.starts.length;
  }

  at(id: number): number {
    return this.starts[id] as number;
  }

  kind(id: number): number {
    return this.kinds[id] as number;
  }

  isMapped(id: number): boolean {
    return (this.map[id] as number) <= MAX_TYPE_ID;
  }

  /** Follows the canonical map to its end (FWD -> STRUCT -> canonical STRUCT ...). */
  resolve(id: number): number {
    const first = this.map[id] as number;
    if (first === id || first > MAX_TYPE_ID) return id;
    let cur = id;
    for (let steps = 0; ; steps++) {
      const next = this.map[cur] as number;
      if (next > MAX_TYPE_ID || next === cur) return cur;
      if (steps > this.map.length) throw new BtfDedupError("CYCLE", "cycle in the canonical type map", { typeId: id });
      cur = next;
    }
  }

  /** A FWD resolves to the STRUCT/UNION it was mapped to, if any; other types stay as they are. */
  resolveFwd(id: number): number {
    if (this.kind(id) !== Kind.FWD) return id;
    const resolved = this.resolve(id);
    return this.kind(resolved) === Kind.FWD ? id : resolved;
  }

  hypotAdd(from: number, to: number): void {
    if (this.hypotCount === this.hypotList.length) {
      const bigger = new Uint32Array(this.hypotList.length * 2);
      bigger.set(this.hypotList);
      this.hypotList = bigger;
    }
    this.hypotList[this.hypotCount++] = from;
    this.hypotMap[from] = to;
  }

  clearHypot(): void {
    for (let i = 0; i < this.hypotCount; i++) this.hypotMap[this.hypotList[i] as number] = UNPROCESSED;
    this.hypotCount = 0;
    this.hypotAdjustCanon = false;
  }
}
