// An input's .BTF.ext records join their output sections (libbpf's linker_append_btf_ext): instruction offsets
// move by where the input's section went, type ids follow the merged BTF, strings are re-added to it.

import type { BtfExtSubsection } from "@bpfkit/btf";
import { LinkError } from "./errors.js";
import { inputSectionByName, type LinkInput } from "./input.js";
import type { ExtRecords, OutCoreRelo, OutFuncInfo, OutLineInfo, OutSection } from "./output.js";
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
  // Literals with `extra` only when there is some: no temporary object spread per record.
  eachSection(input, ext.funcInfo, "funcInfo", (r, shift): OutFuncInfo => {
    const insnOff = r.insnOff + shift;
    const typeId = typeMap[r.typeId]!;
    return r.extra ? { insnOff, typeId, extra: r.extra } : { insnOff, typeId };
  });
  eachSection(input, ext.lineInfo, "lineInfo", (r, shift): OutLineInfo => {
    const insnOff = r.insnOff + shift;
    const fileNameOff = str(r.fileNameOff);
    const lineOff = str(r.lineOff);
    const { line, column } = r;
    return r.extra
      ? { insnOff, fileNameOff, lineOff, line, column, extra: r.extra }
      : { insnOff, fileNameOff, lineOff, line, column };
  });
  eachSection(input, ext.coreRelo, "coreRelo", (r, shift): OutCoreRelo => {
    const insnOff = r.insnOff + shift;
    const typeId = typeMap[r.typeId]!;
    const accessStrOff = str(r.accessStrOff);
    const kind = r.kind;
    return r.extra ? { insnOff, typeId, accessStrOff, kind, extra: r.extra } : { insnOff, typeId, accessStrOff, kind };
  });
}
