// Pass 1: string dedup. Every string referenced from the BTF being deduplicated (and from .BTF.ext) is added,
// in visit order, to a fresh string section, and the reference is rewritten to the new offset; strings that
// already exist in the base BTF point at the base copy instead. Unreferenced strings disappear. Afterwards two
// names are equal exactly when their offsets are, which is what the type passes compare.

import { STRING_WORDS, vlenOf } from "../kinds.js";
import { FNV_OFFSET, FNV_PRIME, hashBytes, StringSet } from "../string-set.js";
import type { RawBtfExt } from "./btf-ext.js";
import { BtfDedupError } from "./errors.js";
import type { DedupState } from "./state.js";

export interface StringInputs {
  /** The string section of the BTF being deduplicated. */
  readonly strings: Uint8Array;
  /** The base's string section and its index, for split BTF. */
  readonly base?: { readonly strings: Uint8Array; readonly index: StringSet };
  readonly ext?: RawBtfExt;
}

/** Rewrites every string reference of the split types and of .BTF.ext; returns the new string section. */
export function dedupStrings(state: DedupState, input: StringInputs): Uint8Array {
  const startStrOff = input.base ? input.base.strings.length : 0;
  const section = input.strings;
  const remapped = new Int32Array(section.length).fill(-1);
  // The output never holds more than the input section (plus a leading NUL), so size it for that up front.
  let nulCount = 0;
  for (let i = 0; i < section.length; i++) if (section[i] === 0) nulCount++;
  const out = StringSet.withCapacity(section.length + 1, nulCount + 1);
  // Without a base the section keeps its leading empty string at offset 0.
  if (!input.base) out.add(section, 0, 0, hashBytes(section, 0, 0));

  const remap = (off: number): number => {
    if (off === 0 || off < startStrOff) return off;
    const local = off - startStrOff;
    const known = remapped[local] as number;
    if (known >= 0) return known;
    // Find the terminating NUL (the section ends with one, checked when parsed) and hash on the way.
    let end = local;
    let hash = FNV_OFFSET;
    for (let b = section[end] as number; b !== 0; b = section[++end] as number) hash = Math.imul(hash ^ b, FNV_PRIME);
    let result = input.base ? input.base.index.find(section, local, end, hash) : -1;
    if (result < 0) result = startStrOff + out.add(section, local, end, hash);
    remapped[local] = result;
    return result;
  };

  const words = state.words;
  const { recordStart, recordStride } = STRING_WORDS;
  for (let id = state.startId; id < state.typeCount; id++) {
    // Same words as forEachStringWord (the name, then member names), unrolled for speed.
    const at = state.at(id);
    words[at] = remap(words[at] as number);
    const kind = state.kind(id);
    const start = recordStart[kind] as number;
    if (start < 0) continue;
    const stride = recordStride[kind] as number;
    const end = at + start + stride * vlenOf(words[at + 1] as number);
    for (let w = at + start; w < end; w += stride) words[w] = remap(words[w] as number);
  }

  if (input.ext) {
    const ext = input.ext;
    const view = new DataView(ext.bytes.buffer, ext.bytes.byteOffset, ext.bytes.byteLength);
    for (const field of ext.stringFields) {
      const off = view.getUint32(field, ext.littleEndian);
      if (off >= startStrOff + section.length) {
        throw new BtfDedupError("BAD_NAME_OFFSET", `string offset ${off} out of range`, {
          section: ".BTF.ext",
          offset: field,
        });
      }
      view.setUint32(field, remap(off), ext.littleEndian);
    }
  }
  return out.bytes.slice();
}
