// dedupBuilder: the dedup passes straight on a BtfBuilder's type words (the static linker's merged BTF), with no
// encode and parse in between. The types are not validated again: a builder holds types copied from parsed BTF
// or added through its typed helpers.
import type { BtfBuilder } from "../builder.js";
import { HEADER_WORDS } from "../kinds.js";
import { Scratch } from "../scratch.js";
import { indexDedupBase } from "./base.js";
import { type DedupRawResult, dedupFlat, dedupParsed } from "./dedup.js";
import { dedupScratchBytes } from "./state.js";

export interface DedupBuilderOptions {
  /** The builder's strings are each there once (see DedupRawOptions.stringsDeduplicated). */
  readonly stringsDeduplicated?: boolean;
  /**
   * The result's btf and typeIdMap are memory that the next dedup call reuses: for a caller that copies or reads
   * them before (the static linker writes the blob into its output). Spares two allocations.
   */
  readonly transient?: boolean;
}

/** Deduplicates what `builder` holds the way libbpf 1.1's btf__dedup() does; the builder is left as it was. */
export function dedupBuilder(builder: BtfBuilder, options: DedupBuilderOptions = {}): DedupRawResult {
  const deduplicated = options.stringsDeduplicated ?? false;
  if (builder.base) return dedupParsed(builder.build(), indexDedupBase(builder.base), undefined, deduplicated);
  // Flattened words and ids come first, then the passes' tables.
  const scratch = Scratch.begin(dedupScratchBytes(builder.typeCount, 0) + builder.typeCount * 4 + 64);
  const { words, starts, strings, flags } = builder.flatten(HEADER_WORDS, scratch);
  const split = { words, starts, firstOwnId: 1, strings, header: { flags }, littleEndian: builder.littleEndian };
  return dedupFlat(split, undefined, undefined, deduplicated, scratch, options.transient ?? false);
}
