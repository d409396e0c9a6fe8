// btf__dedup's algorithm (libbpf 1.1), pass by pass, on raw BTF. The output is byte-identical to libbpf's
// btf__raw_data() after btf__dedup() on the same input: same canonical choices, same order, same strings.
import { type DedupBase, NOT_INDEXED, prepareDedupBase } from "./base.js";
import { parseRawBtfExt } from "./btf-ext.js";
import { compactAndRemap } from "./compact.js";
import { HEAD_WORDS } from "./kinds.js";
import { dedupPrimTypes } from "./prim-types.js";
import { encodeRawBtf, parseRawBtf, type RawBtf } from "./raw-btf.js";
import { dedupRefTypes } from "./ref-types.js";
import { resolveFwds } from "./resolve-fwds.js";
import { DedupState } from "./state.js";
import { dedupStrings } from "./strings.js";
import { dedupStructTypes } from "./struct-types.js";

export interface DedupRawOptions {
  /**
   * Base BTF when `btf` is split BTF (e.g. vmlinux under a module): raw bytes, or prepareDedupBase()'s result to
   * reuse across calls. Base types are never changed.
   */
  readonly base?: Uint8Array | DedupBase;
  /** Raw .BTF.ext that goes with `btf`: its strings and type ids are rewritten to match the output. */
  readonly btfExt?: Uint8Array;
}

export interface DedupRawResult {
  /** Deduplicated raw BTF, in the input's byte order. For split BTF, only the split part (like libbpf). */
  readonly btf: Uint8Array;
  /** Input type id -> output type id, for every id of the input's id space (void and base ids included). */
  readonly typeIdMap: Uint32Array;
  /** Rewritten .BTF.ext, when one was given. */
  readonly btfExt?: Uint8Array;
}

/** Puts void, base and split records into one word array indexed by type id. */
function joinTypes(base: RawBtf | undefined, split: RawBtf): { words: Uint32Array; starts: Uint32Array } {
  const baseWords = base ? base.words.length : 0;
  const baseCount = base ? base.typeStarts.length : 0;
  const words = new Uint32Array(HEAD_WORDS + baseWords + split.words.length);
  const starts = new Uint32Array(1 + baseCount + split.typeStarts.length);
  if (base) {
    words.set(base.words, HEAD_WORDS);
    for (let i = 0; i < baseCount; i++) starts[1 + i] = HEAD_WORDS + (base.typeStarts[i] as number);
  }
  words.set(split.words, HEAD_WORDS + baseWords);
  for (let i = 0; i < split.typeStarts.length; i++) {
    starts[1 + baseCount + i] = HEAD_WORDS + baseWords + (split.typeStarts[i] as number);
  }
  return { words, starts };
}

/** Deduplicates raw BTF the way libbpf 1.1's btf__dedup() does. Throws BtfDedupError on malformed input. */
export function dedupRawBtf(btf: Uint8Array, options: DedupRawOptions = {}): DedupRawResult {
  const prepared = options.base instanceof Uint8Array ? prepareDedupBase(options.base) : options.base;
  const base = prepared?.raw;
  const baseShape = base ? { typeIdCount: 1 + base.typeStarts.length, stringLength: base.strings.length } : undefined;
  return dedupParsed(parseRawBtf(btf, baseShape), prepared, options.btfExt);
}

/**
 * The passes, on an already validated BTF (type ids and string offsets in range, known kinds, whole records).
 * `split.words` is not modified.
 */
export function dedupParsed(split: RawBtf, prepared: DedupBase | undefined, btfExt?: Uint8Array): DedupRawResult {
  const ext = btfExt ? parseRawBtfExt(btfExt) : undefined;
  const { words, starts } = joinTypes(prepared?.raw, split);
  const state = new DedupState(words, starts, prepared ? 1 + prepared.raw.typeStarts.length : 1);
  // Base types go into the candidate index as they are: split types dedup against them.
  if (prepared) {
    prepared.hashes.forEach((hash, i) => {
      if (hash !== NOT_INDEXED) state.table.add(hash, i + 1);
    });
  }
  const strings = dedupStrings(state, {
    strings: split.strings,
    ...(prepared ? { base: { strings: prepared.raw.strings, index: prepared.strings } } : {}),
    ...(ext ? { ext } : {}),
  });
  dedupPrimTypes(state);
  dedupStructTypes(state);
  resolveFwds(state);
  dedupRefTypes(state);
  const compacted = compactAndRemap(state, ext);

  return {
    btf: encodeRawBtf(split.header, compacted.words, strings, split.littleEndian),
    typeIdMap: compacted.typeIdMap,
    ...(ext ? { btfExt: ext.bytes } : {}),
  };
}
