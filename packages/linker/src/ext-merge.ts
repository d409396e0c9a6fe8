// An input's .BTF.ext records join their output sections (libbpf's linker_append_btf_ext): instruction offsets
// move by where the input's section went, type ids follow the merged BTF, strings are re-added to it.

import type { BtfExtSubsection } from "@bpfkit/btf";
import { LinkError } from "./errors.js";
import { inputSectionByName, type LinkInput } from "./input.js";
import type { ExtRecords, OutSection } from "./output.js";
import type { LinkState } from "./state.js";

type Slot = "funcInfo" | "lineInfo" | "coreRelo";

function eachSection<R, O>(
  input: LinkInput,
  sub: BtfExtSubsection<R> | undefined,
  slot: Slot,
  convert: (record: R, shift: number) => O,
): void {
  if (!sub) return;
  for (const extSec of sub.sections) {
    const name = input.btf!.stringAt(extSec.nameOff) ?? "";
    const sec = inputSectionByName(input, name);
    if (!sec?.out) {
      throw new LinkError("BAD_BTF", `can't find section '${name}' referenced from .BTF.ext`, {
        input: input.name,
        section: ".BTF.ext",
      });
    }
    const out: OutSection = sec.out;
    out[slot] ??= { recordSize: sub.recordSize, records: [] };
    const records = out[slot] as ExtRecords<O>;
    if (records.recordSize !== sub.recordSize) {
      throw new LinkError("BAD_BTF", `incompatible .BTF.ext record sizes for section '${name}'`, {
        input: input.name,
        section: ".BTF.ext",
      });
    }
    for (const r of extSec.records) records.records.push(convert(r, sec.outOffset));
  }
}

export function appendBtfExt(state: LinkState, input: LinkInput, typeMap: Uint32Array | undefined): void {
  const ext = input.ext;
  if (!ext || !typeMap) return;
  const str = (off: number) => state.mergedString(input, off);
  eachSection(input, ext.funcInfo, "funcInfo", (r, shift) => ({
    insnOff: r.insnOff + shift,
    typeId: typeMap[r.typeId]!,
    ...(r.extra ? { extra: r.extra } : {}),
  }));
  eachSection(input, ext.lineInfo, "lineInfo", (r, shift) => ({
    insnOff: r.insnOff + shift,
    fileNameOff: str(r.fileNameOff),
    lineOff: str(r.lineOff),
    line: r.line,
    column: r.column,
    ...(r.extra ? { extra: r.extra } : {}),
  }));
  eachSection(input, ext.coreRelo, "coreRelo", (r, shift) => ({
    insnOff: r.insnOff + shift,
    typeId: typeMap[r.typeId]!,
    accessStrOff: str(r.accessStrOff),
    kind: r.kind,
    ...(r.extra ? { extra: r.extra } : {}),
  }));
}
