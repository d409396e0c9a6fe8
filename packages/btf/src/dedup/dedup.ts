// btf__dedup's algorithm (libbpf 1.1), pass by pass, on raw BTF. The output is byte-identical to libbpf's
// btf__raw_data() after btf__dedup() on the same input: same canonical choices, same order, same strings.
import { parseRawBtfExt } from "./btf-ext.js";
import { compactAndRemap } from "./compact.js";
import { hashArray, hashCommon, hashEnum, hashFuncProto, hashIntOrDeclTag, hashStruct } from "./compare.js";
import {
  HEAD_WORDS,
  KIND_ARRAY,
  KIND_DATASEC,
  KIND_DECL_TAG,
  KIND_ENUM,
  KIND_ENUM64,
  KIND_FUNC_PROTO,
  KIND_INT,
  KIND_STRUCT,
  KIND_UNION,
  KIND_VAR,
} from "./kinds.js";
import { dedupPrimTypes } from "./prim-types.js";
import { encodeRawBtf, parseRawBtf, type RawBtf } from "./raw-btf.js";
import { dedupRefTypes } from "./ref-types.js";
import { resolveFwds } from "./resolve-fwds.js";
import { DedupState } from "./state.js";
import { dedupStrings } from "./strings.js";
import { dedupStructTypes } from "./struct-types.js";

export interface DedupRawOptions {
  /** Raw base BTF when `btf` is split BTF (e.g. vmlinux under a module). Base types are never changed. */
  readonly base?: Uint8Array;
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

/** Base types go into the candidate index as they are: split types dedup against them. */
function indexBaseTypes(state: DedupState): void {
  const w = state.words;
  for (let id = 1; id < state.startId; id++) {
    const t = state.at(id);
    let hash: number;
    switch (state.kind(id)) {
      case KIND_VAR:
      case KIND_DATASEC:
        continue;
      case KIND_INT:
      case KIND_DECL_TAG:
        hash = hashIntOrDeclTag(w, t);
        break;
      case KIND_ENUM:
      case KIND_ENUM64:
        hash = hashEnum(w, t);
        break;
      case KIND_STRUCT:
      case KIND_UNION:
        hash = hashStruct(w, t);
        break;
      case KIND_ARRAY:
        hash = hashArray(w, t);
        break;
      case KIND_FUNC_PROTO:
        hash = hashFuncProto(w, t);
        break;
      default:
        hash = hashCommon(w, t);
    }
    state.table.add(hash, id);
  }
}

/** Deduplicates raw BTF the way libbpf 1.1's btf__dedup() does. Throws BtfDedupError on malformed input. */
export function dedupRawBtf(btf: Uint8Array, options: DedupRawOptions = {}): DedupRawResult {
  const base = options.base ? parseRawBtf(options.base, undefined, "base .BTF") : undefined;
  const baseShape = base ? { typeIdCount: 1 + base.typeStarts.length, stringLength: base.strings.length } : undefined;
  const split = parseRawBtf(btf, baseShape);
  const ext = options.btfExt ? parseRawBtfExt(options.btfExt) : undefined;

  const { words, starts } = joinTypes(base, split);
  const state = new DedupState(words, starts, baseShape ? baseShape.typeIdCount : 1);
  indexBaseTypes(state);
  const strings = dedupStrings(state, { strings: split.strings, baseStrings: base?.strings, ext });
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
