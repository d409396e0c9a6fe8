// An input's .BTF.ext records join their output sections (libbpf's linker_append_btf_ext): instruction offsets
// move by where the input's section went, type ids follow the merged BTF, strings are re-added to it. Records are
// copied word by word from the input's bytes (parsed as offsets, not objects), patching those fields.

import type { BtfExtSubsection } from "@bpfkit/btf";
import { LinkError } from "./errors.js";
import { inputSectionByName, type LinkInput } from "./input.js";
import type { ExtRecords } from "./output.js";
import type { LinkState } from "./state.js";

export type ExtSlot = "funcInfo" | "lineInfo" | "coreRelo";

/** Per slot, the record word holding a type id (-1: none) and those holding string offsets; word 0 is insn_off. */
export const EXT_TYPE_WORD: Record<ExtSlot, number> = { funcInfo: 1, lineInfo: -1, coreRelo: 1 };
const EXT_STRING_WORDS: Record<ExtSlot, readonly number[]> = { funcInfo: [], lineInfo: [1, 2], coreRelo: [2] };

function appendSlot(
  state: LinkState,
  input: LinkInput,
  sub: BtfExtSubsection<number> | undefined,
  slot: ExtSlot,
  typeMap: Uint32Array,
): void {
  if (!sub) return;
  const view = input.extView!;
  const le = input.ext!.littleEndian;
  const recordWords = sub.recordSize >>> 2;
  const typeWord = EXT_TYPE_WORD[slot];
  const stringWords = EXT_STRING_WORDS[slot];
  for (const extSec of sub.sections) {
    const sec = inputSectionByName(input, extSec.name);
    if (!sec?.out) {
      throw new LinkError("BAD_BTF", `can't find section '${extSec.name}' referenced from .BTF.ext`, {
        input: input.name,
        section: ".BTF.ext",
      });
    }
    const records: ExtRecords = (sec.out[slot] ??= { recordSize: sub.recordSize, count: 0, words: [] });
    if (records.recordSize !== sub.recordSize) {
      throw new LinkError("BAD_BTF", `incompatible .BTF.ext record sizes for section '${extSec.name}'`, {
        input: input.name,
        section: ".BTF.ext",
      });
    }
    const words = records.words;
    for (const at of extSec.records) {
      const first = words.length;
      for (let w = 0; w < recordWords; w++) words.push(view.getUint32(at + 4 * w, le));
      words[first] = words[first]! + sec.outOffset;
      if (typeWord >= 0) words[first + typeWord] = typeMap[words[first + typeWord]!]!;
      // In field order, so strings are added in libbpf's order.
      for (const w of stringWords) words[first + w] = state.mergedString(input, words[first + w]!);
      records.count++;
    }
  }
}

export function appendBtfExt(state: LinkState, input: LinkInput, typeMap: Uint32Array | undefined): void {
  const ext = input.ext;
  if (!ext || !typeMap) return;
  appendSlot(state, input, ext.funcInfo, "funcInfo", typeMap);
  appendSlot(state, input, ext.lineInfo, "lineInfo", typeMap);
  appendSlot(state, input, ext.coreRelo, "coreRelo", typeMap);
}
