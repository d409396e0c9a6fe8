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

/** Essential-name index over a Btf's own types (built on first lookup). */
export function btfNameIndex(btf: Btf): EssentialNameIndex {
  let chains: EssentialNameChains | undefined;
  return {
    idsWithEssentialName(name: string, kind: number): readonly number[] {
      if (!chains) {
        const count = btf.starts.length;
        const nameOffs = new Uint32Array(count);
        const kinds = new Uint8Array(count);
        for (let i = 0; i < count; i++) {
          const at = btf.starts[i]!;
          nameOffs[i] = btf.words[at]!;
          kinds[i] = (btf.words[at + 1]! >>> 24) & 0x1f;
        }
        chains = new EssentialNameChains({
          nameOffs,
          kinds,
          firstOwnId: btf.firstOwnId,
          ownStrings: btf.strings.bytes,
          firstOwnString: btf.strings.firstOffset,
          baseString: (offset) => baseString(btf.base, offset),
          stringAt: (offset) => btf.stringAt(offset),
          namesAtStringStarts: false,
        });
      }
      return chains.idsWithEssentialName(name, kind);
    },
  };
}

/** A Btf as a relocation target: `name` is what traces print ("vmlinux" or a module name). */
export function btfTarget(name: string, btf: Btf): CoreTargetBtf {
  return { name, btf, index: btfNameIndex(btf) };
}
