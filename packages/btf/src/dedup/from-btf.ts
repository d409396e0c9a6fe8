// dedupBtf: the dedup passes on a parsed Btf, the result parsed back into a Btf (on the same base for split BTF).
import { Btf } from "../btf.js";
import { type DedupBase, indexDedupBase } from "./base.js";
import { dedupParsed } from "./dedup.js";

export interface DedupBtfOptions {
  /** Raw .BTF.ext that goes with `btf`: its strings and type ids are rewritten to match the output. */
  readonly btfExt?: Uint8Array;
}

export interface DedupBtfResult {
  /** The deduplicated BTF (split on the input's base when the input is split). */
  readonly btf: Btf;
  /** The same BTF as raw bytes: byte-identical to libbpf's btf__raw_data() after btf__dedup(). */
  readonly raw: Uint8Array;
  /** Input type id -> output type id, for every id of the input (void and base ids included). */
  readonly typeIdMap: Uint32Array;
  /** Rewritten .BTF.ext, when one was given. */
  readonly btfExt?: Uint8Array;
}

/** Indexed bases, so that many split BTFs on one vmlinux index it once. */
const indexedBases = new WeakMap<Btf, DedupBase>();

/** Deduplicates a parsed BTF the way libbpf 1.1's btf__dedup() does. */
export function dedupBtf(btf: Btf, options: DedupBtfOptions = {}): DedupBtfResult {
  let base: DedupBase | undefined;
  if (btf.base) {
    base = indexedBases.get(btf.base);
    if (!base) {
      base = indexDedupBase(btf.base);
      indexedBases.set(btf.base, base);
    }
  }
  const result = dedupParsed(btf, base, options.btfExt);
  return {
    btf: Btf.parse(result.btf, btf.base ? { base: btf.base } : {}),
    raw: result.btf,
    typeIdMap: result.typeIdMap,
    ...(result.btfExt ? { btfExt: result.btfExt } : {}),
  };
}
