// The output's .BTF.ext: each output section's records (ext-merge.ts) per subsection, in section creation order,
// written as clang lays it out (32-byte header, func_info, line_info, core_relo back to back), which is how
// libbpf's linker writes it.

import { BTF_MAGIC } from "@bpfkit/btf";
import { LinkError } from "./errors.js";
import { EXT_SLOTS, EXT_TYPE_WORD, type ExtSlot } from "./ext-merge.js";
import type { ExtRecords } from "./output.js";
import type { LinkState } from "./state.js";

const HEADER_SIZE = 32;

interface ExtSubsection {
  readonly slot: ExtSlot;
  readonly recordSize: number;
  readonly sections: { readonly nameOff: number; readonly records: ExtRecords }[];
}

/** A subsection's sections, their names added to the merged BTF's strings (before dedup, which keeps them). */
function collect(state: LinkState, slot: ExtSlot): ExtSubsection | undefined {
  const sections: { nameOff: number; records: ExtRecords }[] = [];
  let recordSize = 0;
  for (const sec of state.sections) {
    const records = sec.ext?.[slot];
    if (!records || records.count === 0) continue;
    if (recordSize && records.recordSize !== recordSize) {
      throw new LinkError("BAD_BTF", `mismatch in .BTF.ext record size ${recordSize} != ${records.recordSize}`, {
        section: sec.name,
      });
    }
    recordSize = records.recordSize;
    sections.push({ nameOff: state.btf.addString(sec.name), records });
  }
  return sections.length ? { slot, recordSize, sections } : undefined;
}

/** The three subsections, in libbpf's order; undefined when no input had .BTF.ext records. */
export function collectBtfExt(state: LinkState): ExtSubsection[] | undefined {
  const subsections: ExtSubsection[] = [];
  for (const slot of EXT_SLOTS) {
    const sub = collect(state, slot);
    if (sub) subsections.push(sub);
  }
  return subsections.length ? subsections : undefined;
}

const byteLength = (sub: ExtSubsection | undefined): number =>
  sub ? 4 + sub.sections.reduce((n, s) => n + 8 + s.records.count * sub.recordSize, 0) : 0;

/**
 * Writes the .BTF.ext, type ids through dedup's map. The records are the link's own (finish runs once): their
 * type id words are rewritten in place.
 */
export function encodeBtfExt(subsections: ExtSubsection[], typeIdMap: Uint32Array, littleEndian: boolean): Uint8Array {
  const of = (slot: ExtSlot) => subsections.find((s) => s.slot === slot);
  const funcLen = byteLength(of(0));
  const lineLen = byteLength(of(1));
  const coreLen = byteLength(of(2));
  const out = new Uint8Array(HEADER_SIZE + funcLen + lineLen + coreLen);
  const view = new DataView(out.buffer);
  const le = littleEndian;
  view.setUint16(0, BTF_MAGIC, le);
  view.setUint8(2, 1); // version; flags 0
  view.setUint32(4, HEADER_SIZE, le);
  view.setUint32(12, funcLen, le); // func_info_off 0
  view.setUint32(16, funcLen, le);
  view.setUint32(20, lineLen, le);
  view.setUint32(24, funcLen + lineLen, le);
  view.setUint32(28, coreLen, le);
  let at = HEADER_SIZE;
  for (const sub of subsections) {
    const typeWord = EXT_TYPE_WORD[sub.slot];
    const recordWords = sub.recordSize >>> 2;
    view.setUint32(at, sub.recordSize, le);
    at += 4;
    for (const { nameOff, records } of sub.sections) {
      view.setUint32(at, nameOff, le);
      view.setUint32(at + 4, records.count, le);
      at += 8;
      const words = records.words;
      if (typeWord >= 0) {
        for (let i = typeWord; i < words.length; i += recordWords) words[i] = typeIdMap[words[i]!]!;
      }
      for (let i = 0; i < words.length; i++, at += 4) view.setUint32(at, words[i]!, le);
    }
  }
  return out;
}
