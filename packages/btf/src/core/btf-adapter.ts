// The package's Btf as CO-RE input. Btf has every accessor CoreBtf asks for (same names, same semantics: global
// ids, kind_flag-aware member offsets, ENUM values as s32 / ENUM64 as u64), so the view is the object itself;
// what CO-RE adds is its own lookup structure, the essential-name index, built on Btf's words and string bytes on
// first use and kept with the Btf (one per Btf, however many targets are made of it).

import type { Btf } from "../btf.js";
import type { CoreBtf } from "./btf-view.js";
import type { CoreTargetBtf, EssentialNameIndex } from "./candidates.js";
import { EssentialNameChains } from "./essential-index.js";

/** A parsed Btf seen as the engine's type view (checked at compile time). */
export function coreView(btf: Btf): CoreBtf {
  return btf;
}

/** A Btf's essential-name index, with a way to build its hash chains ahead of the first lookup. */
export interface BtfNameIndex extends EssentialNameIndex {
  prefetch(names: readonly string[]): void;
  /**
   * Builds the hash chains now: worth it for a Btf that is kept and searched many times (a long-lived process);
   * otherwise the first lookups are answered by native search and the chains come after a few of them.
   */
  prepare(): void;
}

function baseString(btf: Btf | undefined, offset: number): { bytes: Uint8Array; start: number } | undefined {
  for (let b = btf; b; b = b.base) {
    if (offset >= b.strings.firstOffset) {
      const start = offset - b.strings.firstOffset;
      return start < b.strings.bytes.length ? { bytes: b.strings.bytes, start } : undefined;
    }
  }
  return undefined;
}

/** The CO-RE name lookup structure over a Btf's own records and strings (nothing is precomputed). */
function nameChains(btf: Btf): EssentialNameChains {
  const { words, starts } = btf;
  const strings = btf.strings.bytes;
  const first = btf.strings.firstOffset;
  let namesAtStarts: boolean | undefined;
  // Suffix-shared names (an offset into the middle of a string) are legal BTF; the native search cannot see them.
  const namesAtStringStarts = (): boolean => {
    if (namesAtStarts === undefined) {
      namesAtStarts = !btf.base;
      for (let i = 0; namesAtStarts && i < starts.length; i++) {
        const nameOff = words[starts[i]!]!;
        if (nameOff !== 0 && (nameOff <= first || strings[nameOff - first - 1] !== 0)) namesAtStarts = false;
      }
    }
    return namesAtStarts;
  };
  return new EssentialNameChains({
    words,
    starts,
    firstOwnId: btf.firstOwnId,
    ownStrings: strings,
    firstOwnString: first,
    baseString: (offset) => baseString(btf.base, offset),
    stringAt: (offset) => btf.stringAt(offset),
    namesInOwnStrings: !btf.base,
    namesAtStringStarts,
  });
}

const indexes = new WeakMap<Btf, BtfNameIndex>();

/**
 * The essential-name index of a Btf's own types (native string search and batched prefetch for the first names,
 * FNV hash chains after), made on first use and shared by every later call for the same Btf.
 */
export function btfNameIndex(btf: Btf): BtfNameIndex {
  let index = indexes.get(btf);
  if (index) return index;
  let chains: EssentialNameChains | undefined;
  const get = (): EssentialNameChains => {
    chains ??= nameChains(btf);
    return chains;
  };
  index = {
    idsWithEssentialName: (name: string, kind: number) => get().idsWithEssentialName(name, kind),
    prefetch: (names: readonly string[]) => get().prefetch(names),
    prepare: () => get().prepare(),
  };
  indexes.set(btf, index);
  return index;
}

/** A Btf as a relocation target: `name` is what traces print ("vmlinux" or a module name). */
export function btfTarget(name: string, btf: Btf): CoreTargetBtf {
  return { name, btf, index: btfNameIndex(btf) };
}
