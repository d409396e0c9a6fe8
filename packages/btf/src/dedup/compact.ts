// Passes 6 and 7: keep only canonical types, in their original relative order, renumbered from the first id of
// the deduplicated BTF; then rewrite every type id (in the kept types and in .BTF.ext) to its final id.

import { extraWords, HEADER_WORDS, kindOf, TYPE_ID_WORDS, vlenOf } from "../kinds.js";
import type { Scratch } from "../scratch.js";
import type { RawBtfExt } from "./btf-ext.js";
import { BtfDedupError } from "./errors.js";
import { type DedupState, MAX_TYPE_ID, UNPROCESSED } from "./state.js";

export interface Compacted {
  /** Records of the kept split types, type ids already final. */
  readonly words: Uint32Array;
  /** Any input id (base, split, void) -> its id in the output. */
  readonly typeIdMap: Uint32Array;
}

const recordWords = (w: Uint32Array, at: number): number => {
  const info = w[at + 1] as number;
  return HEADER_WORDS + extraWords(kindOf(info), vlenOf(info));
};

/** `words` come from `scratch` (the caller copies them out); typeIdMap too when `transient`, else it is the caller's. */
/** Rewrites the type id at out[i] to its final id (a function, not a closure made per call). */
function remapWord(state: DedupState, finalId: Uint32Array, out: Uint32Array, i: number): void {
  const id = finalId[state.resolve(out[i] as number)] as number;
  if (id > MAX_TYPE_ID)
    throw new BtfDedupError("BAD_TYPE_ID", `type id ${out[i]} has no canonical type`, { section: ".BTF" });
  out[i] = id;
}

export function compactAndRemap(state: DedupState, scratch: Scratch, ext?: RawBtfExt, transient = false): Compacted {
  const w = state.words;
  const finalId = state.hypotMap; // the hypothetical map is free now: reuse it like libbpf does
  finalId.fill(UNPROCESSED);
  for (let id = 0; id < state.startId; id++) finalId[id] = id;

  let total = 0;
  let next = state.startId;
  for (let id = state.startId; id < state.typeCount; id++) {
    if (state.map[id] !== id) continue;
    finalId[id] = next++;
    total += recordWords(w, state.at(id));
  }

  const out = scratch.u32(total);
  let at = 0;
  const { fixed, recordStart, recordStride } = TYPE_ID_WORDS;
  for (let id = state.startId; id < state.typeCount; id++) {
    if (state.map[id] !== id) continue;
    const from = state.at(id);
    const len = recordWords(w, from);
    for (let i = 0; i < len; i++) out[at + i] = w[from + i] as number;
    // The words forEachTypeIdWord visits, unrolled for speed.
    const kind = state.kind(id);
    const offsets = fixed[kind] as readonly number[];
    for (let k = 0; k < offsets.length; k++) remapWord(state, finalId, out, at + (offsets[k] as number));
    const start = recordStart[kind] as number;
    if (start >= 0) {
      const stride = recordStride[kind] as number;
      const end = at + start + stride * vlenOf(out[at + 1] as number);
      for (let i = at + start; i < end; i += stride) remapWord(state, finalId, out, i);
    }
    at += len;
  }

  const typeIdMap = transient ? scratch.u32(state.typeCount) : new Uint32Array(state.typeCount);
  for (let id = 0; id < state.typeCount; id++) typeIdMap[id] = finalId[state.resolve(id)] as number;

  if (ext) {
    const view = new DataView(ext.bytes.buffer, ext.bytes.byteOffset, ext.bytes.byteLength);
    for (const field of ext.typeIdFields) {
      const id = view.getUint32(field, ext.littleEndian);
      if (id >= state.typeCount) {
        throw new BtfDedupError("BAD_TYPE_ID", `type id ${id} out of range`, { section: ".BTF.ext", offset: field });
      }
      view.setUint32(field, typeIdMap[id] as number, ext.littleEndian);
    }
  }
  return { words: out, typeIdMap };
}
