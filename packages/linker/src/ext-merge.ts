// An input's .BTF.ext records join their output sections (libbpf's linker_append_btf_ext): instruction offsets
// move by where the input's section went, type ids follow the merged BTF, strings are re-added to it. Records are
// copied word by word from the input's bytes (parsed as offsets, not objects), patching those fields.

import type { BtfExtSubsection } from "@bpfkit/btf";
import { LinkError } from "./errors.js";
import { inputSectionByName, type LinkInput } from "./input.js";
import type { LinkState } from "./state.js";

/** The subsections, in .BTF.ext order: func_info, line_info, core_relo (an index into OutSection.ext). */
export type ExtSlot = 0 | 1 | 2;
export const EXT_SLOTS: readonly ExtSlot[] = [0, 1, 2];

/**
 * Per slot, the record word holding a type id and those holding string offsets, in field order (-1: none);
 * word 0 is insn_off. func_info {insn_off, type_id}, line_info {insn_off, file_name_off, line_off, line_col},
 * core_relo {insn_off, type_id, access_str_off, kind}.
 */
export const EXT_TYPE_WORD = [1, -1, 1] as const;
const EXT_FIRST_STRING = [-1, 1, 2] as const;
const EXT_SECOND_STRING = [-1, 2, -1] as const;

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
  const firstString = EXT_FIRST_STRING[slot];
  const secondString = EXT_SECOND_STRING[slot];
  for (const extSec of sub.sections) {
    const sec = inputSectionByName(input, extSec.name);
    if (!sec?.out) {
      throw new LinkError("BAD_BTF", `can't find section '${extSec.name}' referenced from .BTF.ext`, {
        input: input.name,
        section: ".BTF.ext",
      });
    }
    sec.out.ext ??= [undefined, undefined, undefined];
    let records = sec.out.ext[slot];
    if (!records) {
      records = { recordSize: sub.recordSize, count: 0, words: [] };
      sec.out.ext[slot] = records;
    }
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
      if (firstString >= 0) words[first + firstString] = state.mergedString(input, words[first + firstString]!);
      if (secondString >= 0) words[first + secondString] = state.mergedString(input, words[first + secondString]!);
      records.count++;
    }
  }
}

export function appendBtfExt(state: LinkState, input: LinkInput, typeMap: Uint32Array | undefined): void {
  const ext = input.ext;
  if (!ext || !typeMap) return;
  appendSlot(state, input, ext.funcInfo, 0, typeMap);
  appendSlot(state, input, ext.lineInfo, 1, typeMap);
  appendSlot(state, input, ext.coreRelo, 2, typeMap);
}
