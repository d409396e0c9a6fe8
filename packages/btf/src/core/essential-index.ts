// Type lookup by essential name (flavor suffix stripped), the heart of fast candidate search. Built once per BTF
// from raw name offsets and string bytes: each type whose kind CO-RE can relocate against is hashed (FNV-1a over
// the essential part of its name bytes, no string decoding) into typed-array chains. libbpf instead compares the
// name of every target type for every distinct local type; on vmlinux this is the whole difference in speed.
// FUNC/VAR/DATASEC/DECL_TAG names (most of vmlinux's) are left out; a lookup for those kinds scans linearly.
// The first few lookups skip building the chains: a native byte search of the string section for "\0name\0" and
// "\0name___" plus one pass over the type records costs ~1 ms and needs no JIT warm-up, which is what a
// process that relocates one object (a handful of distinct local types) wants; a relocation pass prefetches all
// its names in one scan of the type names instead. That shortcut is only taken when every type name starts a
// string (no suffix-shared names, as in all BTF libbpf/pahole write).

import { type ByteSearch, byteSearch } from "../host.js";
import { Kind } from "../kinds.js";
import { matchNamesWasm, type NameRecords, wasmMatchNamesApplies } from "../wasm/core-names-wasm.js";
import { essentialNameLength } from "./btf-view.js";

/** Raw name data of one BTF blob's own types. */
export interface NameData {
  /**
   * The own types' records as host-order words and the word index of each (index = id - firstOwnId): name offsets
   * and kinds are read from there, with no per-type arrays to allocate (their page faults cost more than reading).
   */
  readonly words: Uint32Array;
  readonly starts: Uint32Array;
  readonly firstOwnId: number;
  /** This blob's string bytes and the global offset they start at. */
  readonly ownStrings: Uint8Array;
  readonly firstOwnString: number;
  /** Bytes holding a string that lives in a base BTF: the base's string bytes and the local start. */
  baseString(offset: number): { bytes: Uint8Array; start: number } | undefined;
  /** Decoded string at a global offset. */
  stringAt(offset: number): string | undefined;
  /** Every type name of this blob is in its own string section (base BTF): enables the batched prefetch. */
  readonly namesInOwnStrings: boolean;
  /**
   * Every type name of this blob starts a string of its own string section (enables the native search). Asked only
   * when a native search is about to run: answering reads the byte before every name, which a relocation pass
   * (names prefetched in one batch) never needs.
   */
  namesAtStringStarts(): boolean;
}

/** Distinct lookups answered by native search before the chains are built. */
const NATIVE_SEARCHES = 16;

/** Kinds whose names the chains cover: everything a CO-RE relocation targets in practice. */
const INDEXED_KINDS: readonly boolean[] = Array.from(
  { length: 32 },
  (_, k) => k !== Kind.FUNC && k !== Kind.VAR && k !== Kind.DATASEC && k !== Kind.DECL_TAG && k <= Kind.ENUM64,
);
/** The same set as a bit per kind, for the WebAssembly lookup. */
const INDEXED_KIND_BITS = INDEXED_KINDS.reduce((bits, indexed, k) => (indexed ? bits | (1 << k) : bits), 0);

export class EssentialNameChains {
  private chains: { heads: Int32Array; next: Int32Array; hashes: Uint32Array } | undefined;
  private readonly encoder = new TextEncoder();
  private searches = 0;
  /** Results of native searches by essential name (all kinds; callers filter). */
  private readonly found = new Map<string, number[]>();

  constructor(private readonly data: NameData) {}

  /** Builds the hash chains now (normally done after the first native searches); later lookups use them. */
  prepare(): void {
    this.chains ??= this.build();
  }

  private build(): { heads: Int32Array; next: Int32Array; hashes: Uint32Array } {
    const { words, starts, ownStrings, firstOwnString } = this.data;
    const count = starts.length;
    let size = 1024;
    while (size < count * 2) size *= 2;
    const heads = new Int32Array(size).fill(-1);
    const next = new Int32Array(count);
    const hashes = new Uint32Array(count);
    const mask = size - 1;
    for (let i = 0; i < count; i++) {
      const at = starts[i]!;
      const offset = words[at]!;
      if (offset === 0 || !INDEXED_KINDS[(words[at + 1]! >>> 24) & 0x1f]) continue;
      let hash = 0;
      if (offset >= firstOwnString) {
        hash = essentialHash(ownStrings, offset - firstOwnString);
      } else {
        const slice = this.data.baseString(offset);
        if (slice) hash = essentialHash(slice.bytes, slice.start);
      }
      if (hash === 0) continue;
      hashes[i] = hash;
      const bucket = hash & mask;
      next[i] = heads[bucket]!;
      heads[bucket] = i;
    }
    return { heads, next, hashes };
  }

  /**
   * Looks up several names in one pass over the type names (indexed kinds only: only they are read from `found`),
   * so a relocation pass pays one scan for all its local types instead of one per type (in WebAssembly for large
   * BTF: core-names.c, the twin of matchNamesJs). Cheaper in a fresh process than searching the string section
   * natively: that wants a latin1 copy of it for a regex (megabytes of fresh memory, whose page faults cost more
   * than the scan) or one 2 MB byte search per name. No-op once the chains exist.
   */
  prefetch(names: readonly string[]): void {
    if (this.chains || !this.data.namesInOwnStrings) return;
    const wanted = [...new Set(names)].filter((n) => n !== "" && !this.found.has(n));
    if (wanted.length === 0 || this.searches + wanted.length > NATIVE_SEARCHES) return;
    this.searches += wanted.length;
    const bytes = wanted.map((name) => this.encoder.encode(name));
    const { words, starts, ownStrings, firstOwnString } = this.data;
    const records = { words, starts, strings: ownStrings, firstString: firstOwnString };
    const indexes =
      (wasmMatchNamesApplies(records.starts.length) ? matchNamesWasm(records, bytes, INDEXED_KIND_BITS) : undefined) ??
      matchNamesJs(records, bytes, (offset) => this.data.stringAt(offset) ?? "");
    const firstOwnId = this.data.firstOwnId;
    wanted.forEach((name, k) => {
      this.found.set(
        name,
        indexes[k]!.map((i) => firstOwnId + i),
      );
    });
  }

  private haystack: ByteSearch | undefined;

  /**
   * Native search: offsets where a string equal to `name`, or to `name` plus a flavor suffix, starts; then the own
   * types named by those offsets (ascending). Valid only when every type name starts a string.
   */
  private search(name: string): number[] {
    const { ownStrings, firstOwnString, words, starts, firstOwnId } = this.data;
    this.haystack ??= byteSearch(ownStrings);
    const search = this.haystack;
    const offsets: number[] = [];
    // One pass for "\0name": a hit followed by NUL is the name itself, by "_" maybe a flavor of it.
    const needle = this.encoder.encode(`\0${name}`);
    for (let at = search(needle); at >= 0; at = search(needle, at + 1)) {
      const next = ownStrings[at + needle.length];
      if (next === 0) {
        offsets.push(firstOwnString + at + 1);
      } else if (next === 95) {
        const full = this.data.stringAt(firstOwnString + at + 1) ?? "";
        if (essentialNameLength(full) === name.length) offsets.push(firstOwnString + at + 1);
      }
    }
    const ids: number[] = [];
    if (offsets.length === 0) return ids;
    // One pass over the types (in id order, so the ids come out ascending).
    const wanted = new Set(offsets);
    for (let i = 0; i < starts.length; i++) if (wanted.has(words[starts[i]!]!)) ids.push(firstOwnId + i);
    return ids;
  }

  private matches(i: number, name: string): boolean {
    const typeName = this.data.stringAt(this.data.words[this.data.starts[i]!]!) ?? "";
    return essentialNameLength(typeName) === name.length && typeName.startsWith(name);
  }

  /** Own ids (ascending) whose essential name is `name`, among types of kind `kind`'s CO-RE family. */
  idsWithEssentialName(name: string, kind: number): number[] {
    if (name === "") return [];
    const { words, starts, firstOwnId } = this.data;
    const ids: number[] = [];
    if (!INDEXED_KINDS[kind]) {
      for (let i = 0; i < starts.length; i++) {
        const at = starts[i]!;
        if (((words[at + 1]! >>> 24) & 0x1f) === kind && words[at] !== 0 && this.matches(i, name))
          ids.push(firstOwnId + i);
      }
      return ids;
    }
    const known = this.found.get(name);
    if (known) return known;
    if (!this.chains && this.searches < NATIVE_SEARCHES && this.data.namesAtStringStarts()) {
      this.searches++;
      const ids = this.search(name);
      this.found.set(name, ids);
      return ids;
    }
    this.chains ??= this.build();
    const { heads, next, hashes } = this.chains;
    const hash = essentialHash(this.encoder.encode(name), 0);
    for (let i = heads[hash & (heads.length - 1)]!; i >= 0; i = next[i]!) {
      if (hashes[i] === hash && this.matches(i, name)) ids.push(firstOwnId + i);
    }
    return ids.reverse();
  }
}

/**
 * The JavaScript twin of core-names.c (the reference, and the path for small BTF): for each wanted name (UTF-8
 * bytes), the own indexes (ascending) of the indexed-kind types named so or so plus a flavor suffix. Each named
 * type's first byte picks the wanted names to compare, so most types cost a table read.
 */
export function matchNamesJs(
  records: NameRecords,
  wanted: readonly Uint8Array[],
  stringAt: (offset: number) => string,
): number[][] {
  const { words, starts, strings, firstString } = records;
  const byFirstByte: number[][] = [];
  wanted.forEach((bytes, k) => {
    byFirstByte[bytes[0]!] ??= [];
    byFirstByte[bytes[0]!]!.push(k);
  });
  const ids: number[][] = wanted.map(() => []);
  const length = strings.length;
  for (let i = 0; i < starts.length; i++) {
    const record = starts[i]!;
    const offset = words[record]!;
    const at = offset - firstString;
    if (offset === 0 || at < 0 || at >= length || !INDEXED_KINDS[(words[record + 1]! >>> 24) & 0x1f]) continue;
    const list = byFirstByte[strings[at]!];
    if (list === undefined) continue;
    for (const k of list) {
      const bytes = wanted[k]!;
      let j = 1;
      while (j < bytes.length && strings[at + j] === bytes[j]) j++;
      if (j < bytes.length) continue;
      const next = strings[at + j];
      // "name" itself, or maybe a flavor "name___x" (checked on the decoded name, rare).
      if (next === 0 || (next === 95 && essentialNameLength(stringAt(offset)) === bytes.length)) ids[k]!.push(i);
    }
  }
  return ids;
}

/**
 * FNV-1a hash of the essential part of the NUL-terminated name at `start` (the bytes before the last `X___Y`
 * flavor separator, see essentialNameLength). 0 only for an empty name.
 */
export function essentialHash(bytes: Uint8Array, start: number): number {
  const length = bytes.length;
  let hash = 0x811c9dc5;
  let j = start;
  for (; j < length; j++) {
    const c = bytes[j]!;
    if (c === 0) break;
    // A separator X___Y completes at Y: hash the prefix instead (rare, so recomputed from scratch).
    if (c !== 95 && j - 4 >= start && bytes[j - 1] === 95 && bytes[j - 2] === 95 && bytes[j - 3] === 95) {
      if (bytes[j - 4] !== 95) return prefixHash(bytes, start, j);
    }
    hash = Math.imul(hash ^ c, 0x01000193);
  }
  if (j === start) return 0;
  return hash >>> 0 || 1;
}

/** Hash of the bytes before the LAST flavor separator of the name at `start` (one is known to end at `from`). */
function prefixHash(bytes: Uint8Array, start: number, from: number): number {
  let end = from;
  while (end < bytes.length && bytes[end] !== 0) end++;
  let essentialEnd = end;
  for (let i = end - 5; i >= start; i--) {
    if (bytes[i] !== 95 && bytes[i + 1] === 95 && bytes[i + 2] === 95 && bytes[i + 3] === 95 && bytes[i + 4] !== 95) {
      essentialEnd = i + 1;
      break;
    }
  }
  let hash = 0x811c9dc5;
  for (let i = start; i < essentialEnd; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0 || 1;
}
