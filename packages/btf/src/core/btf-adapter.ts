// The package's Btf class as CO-RE input. Btf already has every accessor CoreBtf asks for (same names, same
// semantics: global ids, kind_flag-aware member offsets, ENUM values as s32 / ENUM64 as u64), so the view is the
// object itself; what the adapter adds is the essential-name index over Btf's raw words and string bytes.

import type { Btf } from "../btf.js";
import type { CoreBtf } from "./btf-view.js";
import type { CoreTargetBtf, EssentialNameIndex } from "./candidates.js";
import { EssentialNameChains } from "./essential-index.js";

/** A parsed Btf seen as the engine's type view (checked at compile time). */
export function coreView(btf: Btf): CoreBtf {
  return btf;
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

/**
 * Essential-name index over a Btf's own types, the same machinery as the raw view's (native string search and
 * batched prefetch for the first names, hash chains after): one pass over Btf's words collects name offsets and
 * kinds, on first use.
 */
export function btfNameIndex(btf: Btf): EssentialNameIndex {
  let chains: EssentialNameChains | undefined;
  const get = (): EssentialNameChains => {
    if (chains) return chains;
    const count = btf.starts.length;
    const nameOffs = new Uint32Array(count);
    const kinds = new Uint8Array(count);
    const { words, starts } = btf;
    const strings = btf.strings.bytes;
    const first = btf.strings.firstOffset;
    let namesAtStarts = !btf.base;
    for (let i = 0; i < count; i++) {
      const at = starts[i]!;
      const nameOff = words[at]!;
      nameOffs[i] = nameOff;
      kinds[i] = (words[at + 1]! >>> 24) & 0x1f;
      if (nameOff !== 0 && (nameOff <= first || strings[nameOff - first - 1] !== 0)) namesAtStarts = false;
    }
    chains = new EssentialNameChains({
      nameOffs,
      kinds,
      firstOwnId: btf.firstOwnId,
      ownStrings: strings,
      firstOwnString: first,
      baseString: (offset) => baseString(btf.base, offset),
      stringAt: (offset) => btf.stringAt(offset),
      namesAtStringStarts: namesAtStarts,
    });
    return chains;
  };
  return {
    idsWithEssentialName: (name: string, kind: number) => get().idsWithEssentialName(name, kind),
    prefetch: (names: readonly string[]) => get().prefetch(names),
  };
}

/** A Btf as a relocation target: `name` is what traces print ("vmlinux" or a module name). */
export function btfTarget(name: string, btf: Btf): CoreTargetBtf {
  return { name, btf, index: btfNameIndex(btf) };
}
