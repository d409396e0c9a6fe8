// Cutting .BTF.ext func_info / line_info per function: clang writes them per ELF section with byte offsets; each
// function keeps the records inside its own instruction range, rebased to its first instruction and counted in
// 8-byte slots (the unit the kernel uses). The prepare step concatenates them again per program.

import type { BtfExtSection, FuncInfoRecord, LineInfoRecord } from "../btf/btf-ext.js";

function cut<T extends { readonly insnOff: number }>(
  sections: readonly BtfExtSection<T>[],
  section: string,
  startSlot: number,
  slotCount: number,
): T[] {
  const out: T[] = [];
  for (const s of sections) {
    if (s.section !== section) continue;
    for (const record of s.records) {
      const slot = Math.floor(record.insnOff / 8);
      if (slot < startSlot || slot >= startSlot + slotCount) continue;
      out.push({ ...record, insnOff: slot - startSlot });
    }
  }
  return out;
}

export function funcInfoFor(
  sections: readonly BtfExtSection<FuncInfoRecord>[],
  section: string,
  startSlot: number,
  slotCount: number,
): FuncInfoRecord[] {
  return cut(sections, section, startSlot, slotCount);
}

export function lineInfoFor(
  sections: readonly BtfExtSection<LineInfoRecord>[],
  section: string,
  startSlot: number,
  slotCount: number,
): LineInfoRecord[] {
  return cut(sections, section, startSlot, slotCount);
}
