// The package's Btf class as CO-RE input. Btf already has every accessor CoreBtf asks for (same names, same
// semantics: global ids, kind_flag-aware member offsets, ENUM values as s32 / ENUM64 as u64), so the view is the
// object itself; what the adapter adds is the essential-name index (Btf's own name index for the first lookups,
// hash chains over its raw words and string bytes after that).

import { Buffer } from "node:buffer";
import type { Btf } from "../btf.js";
import { type CoreBtf, essentialNameLength } from "./btf-view.js";
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

/** Lookups answered through Btf's own name index before the hash chains are built. */
const DIRECT_LOOKUPS = 16;

/**
 * Ids named `name` or `name` + a flavor suffix, through Btf.findAllByName (its name-offset index plus a native
 * search of the string section): the flavored names are found by searching "name___" in the string bytes (any
 * position, so suffix-shared names count too) and reading the string from there.
 */
function directLookup(btf: Btf, name: string): number[] {
  const names = new Set([name]);
  const needle = Buffer.from(`${name}___`, "utf8");
  for (let b: Btf | undefined = btf; b; b = b.base) {
    const bytes = b.strings.bytes;
    const haystack = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
      const full = b.strings.at(b.strings.firstOffset + at) ?? "";
      if (essentialNameLength(full) === name.length) names.add(full);
    }
  }
  const ids = new Set<number>();
  for (const candidate of names) {
    for (const id of btf.findAllByName(candidate)) if (id >= btf.firstOwnId) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/**
 * Essential-name index over a Btf's own types: its first lookups go through the Btf's own name index (no pass over
 * all types of ours), later ones through hash chains built once.
 */
export function btfNameIndex(btf: Btf): EssentialNameIndex {
  let chains: EssentialNameChains | undefined;
  let direct = 0;
  return {
    idsWithEssentialName(name: string, kind: number): readonly number[] {
      if (!chains && direct < DIRECT_LOOKUPS) {
        direct++;
        return name === "" ? [] : directLookup(btf, name);
      }
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
