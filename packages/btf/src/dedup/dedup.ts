// btf__dedup's algorithm (libbpf 1.1), pass by pass, on the type words of a parsed Btf. The output is
// byte-identical to libbpf's btf__raw_data() after btf__dedup() on the same input: same canonical choices, same
// order, same strings.
import { Btf, flattenWords } from "../btf.js";
import { HEADER_WORDS } from "../kinds.js";
import { Scratch } from "../scratch.js";
import { type BtfBlobParts, writeBtfBlob } from "../words.js";
import { type DedupBase, NOT_INDEXED, prepareDedupBase } from "./base.js";
import { parseRawBtfExt } from "./btf-ext.js";
import { compactAndRemap } from "./compact.js";
import { dedupPrimTypes } from "./prim-types.js";
import { dedupRefTypes } from "./ref-types.js";
import { resolveFwds } from "./resolve-fwds.js";
import { DedupState, dedupScratchBytes } from "./state.js";
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
  /**
   * The string section already holds each string once (it was built by adding strings, as libbpf's
   * btf__new_empty + btf__add_str do): libbpf then skips its string pass (strs_deduped), keeping the section and
   * every offset, unreferenced strings included. The static linker's BTF is such a blob.
   */
  readonly stringsDeduplicated?: boolean;
}

export interface DedupRawResult {
  /** Deduplicated raw BTF, in the input's byte order. For split BTF, only the split part (like libbpf). */
  readonly btf: Uint8Array;
  /** Input type id -> output type id, for every id of the input's id space (void and base ids included). */
  readonly typeIdMap: Uint32Array;
  /** Rewritten .BTF.ext, when one was given. */
  readonly btfExt?: Uint8Array;
}

/** Deduplicates raw BTF the way libbpf 1.1's btf__dedup() does. Malformed input throws BtfError (as Btf.parse). */
export function dedupRawBtf(btf: Uint8Array, options: DedupRawOptions = {}): DedupRawResult {
  const prepared = options.base instanceof Uint8Array ? prepareDedupBase(options.base) : options.base;
  const parsed = Btf.parse(btf, prepared ? { base: prepared.btf } : {});
  return dedupParsed(parsed, prepared, options.btfExt, options.stringsDeduplicated);
}

/**
 * The passes, on a parsed (so validated) BTF whose base, if any, `prepared` indexes. `split`'s words are not
 * modified: the passes rewrite a joined copy with a void record in front.
 */
export function dedupParsed(
  split: Btf,
  prepared: DedupBase | undefined,
  btfExt?: Uint8Array,
  stringsDeduplicated = false,
): DedupRawResult {
  const { words, starts } = flattenWords(split, HEADER_WORDS);
  const scratch = Scratch.begin(dedupScratchBytes(starts.length, words.length));
  const flat: FlatSplit = {
    words,
    starts,
    firstOwnId: split.firstOwnId,
    strings: split.strings.bytes,
    header: split.header,
    littleEndian: split.littleEndian,
  };
  return dedupFlat(flat, prepared, btfExt, stringsDeduplicated, scratch);
}

/** The BTF being deduplicated, its type words joined behind a void record (see flattenWords); rewritten in place. */
export interface FlatSplit {
  readonly words: Uint32Array;
  /** Word index of every id's record (void, base and own ids). */
  readonly starts: Uint32Array;
  readonly firstOwnId: number;
  /** Its own string section. */
  readonly strings: Uint8Array;
  /** Header fields written back as they are (see writeBtfBlob). */
  readonly header: BtfBlobParts["header"];
  readonly littleEndian: boolean;
}

/** The passes on already joined words (dedupParsed's, or a builder's: no encode and parse in between). */
export function dedupFlat(
  split: FlatSplit,
  prepared: DedupBase | undefined,
  btfExt?: Uint8Array,
  stringsDeduplicated = false,
  /** Where `split` was flattened, if there (begun by the caller: the passes' tables follow it). */
  scratch = Scratch.begin(),
  /** The result's btf and typeIdMap may be scratch memory too (see DedupBuilderOptions.transient). */
  transient = false,
): DedupRawResult {
  const ext = btfExt ? parseRawBtfExt(btfExt) : undefined;
  const state = new DedupState(split.words, split.starts, split.firstOwnId, scratch);
  // Base types go into the candidate index as they are: split types dedup against them.
  if (prepared) {
    prepared.hashes.forEach((hash, i) => {
      if (hash !== NOT_INDEXED) state.table.add(hash, i + 1);
    });
  }
  const strings = stringsDeduplicated
    ? split.strings
    : dedupStrings(state, {
        strings: split.strings,
        ...(prepared ? { base: { strings: prepared.btf.strings.bytes, index: prepared.strings } } : {}),
        ...(ext ? { ext } : {}),
      });
  dedupPrimTypes(state);
  dedupStructTypes(state);
  resolveFwds(state);
  dedupRefTypes(state);
  const compacted = compactAndRemap(state, scratch, ext, transient);
  const parts = { header: split.header, words: compacted.words, strings, littleEndian: split.littleEndian };

  return {
    btf: writeBtfBlob(parts, transient ? (size) => scratch.u8(size) : undefined),
    typeIdMap: compacted.typeIdMap,
    ...(ext ? { btfExt: ext.bytes } : {}),
  };
}
