// The end of a link (libbpf's bpf_linker__finalize / finalize_btf): hidden globals become local, one DATASEC per
// section that had BTF, .BTF.ext assembled per output section, the merged BTF deduplicated with @bpfkit/btf's
// dedup (libbpf's btf__dedup, byte for byte), and the ELF written (write-object.ts). Output order is libbpf's:
// .strtab, .symtab, sections as first created, .BTF, .BTF.ext.

import { type BtfExtSubsection, dedupBuilder, encodeBtfExt, Kind, Linkage } from "@bpfkit/btf";
import { STB_LOCAL, STV_HIDDEN } from "@bpfkit/elf";
import { writeWithModel } from "./elf-model.js";
import { LinkError } from "./errors.js";
import type { DatasecVar, ExtRecords, OutCoreRelo, OutFuncInfo, OutLineInfo } from "./output.js";
import type { LinkState } from "./state.js";
import { fitsPlainNumbering, writeObject } from "./write-object.js";

const BTF_EXT_HEADER_SIZE = 32;

/**
 * Hidden globals get local binding, and their VAR/FUNC static linkage (which is how libbpf's loader treats
 * hidden symbols anyway, and what it needs to find a local symbol's variable).
 */
function localizeHidden(state: LinkState): void {
  for (const glob of state.globals.values()) {
    if (glob.isExtern || glob.symbol.visibility !== STV_HIDDEN) continue;
    glob.symbol.binding = STB_LOCAL;
    if (!glob.btfId) continue;
    const words = state.btf.typeWords(glob.btfId);
    if (((words[1]! >>> 24) & 0x1f) === Kind.VAR) words[3] = Linkage.STATIC;
    else words[1] = (Kind.FUNC << 24) | Linkage.STATIC;
  }
}

function subsection<R>(state: LinkState, slot: "funcInfo" | "lineInfo" | "coreRelo"): BtfExtSubsection<R> | undefined {
  const sections: { nameOff: number; name: string; records: R[] }[] = [];
  let recordSize = 0;
  for (const sec of state.sections) {
    const recs = sec[slot] as ExtRecords<R> | undefined;
    if (!recs || recs.records.length === 0) continue;
    if (recordSize && recs.recordSize !== recordSize) {
      throw new LinkError("BAD_BTF", `mismatch in .BTF.ext record size ${recordSize} != ${recs.recordSize}`, {
        section: sec.name,
      });
    }
    recordSize = recs.recordSize;
    sections.push({ nameOff: state.btf.addString(sec.name), name: sec.name, records: recs.records });
  }
  return sections.length ? { recordSize, sections } : undefined;
}

/** The entries sorted by offset (as they are unless a definition moved one): no copy and sort when in order. */
function inOffsetOrder(vars: readonly DatasecVar[]): readonly DatasecVar[] {
  for (let i = 1; i < vars.length; i++) {
    if (vars[i - 1]!.offset > vars[i]!.offset) return [...vars].sort((a, b) => a.offset - b.offset);
  }
  return vars;
}

/** The output's .BTF and .BTF.ext, deduplicated; undefined when no input had BTF. */
function finishBtf(state: LinkState): { btf: Uint8Array; ext: Uint8Array | undefined } | undefined {
  const builder = state.btf;
  if (builder.typeCount === 1) return undefined;
  builder.littleEndian = state.littleEndian ?? true;
  for (const sec of state.sections) {
    if (!sec.hasBtf) continue;
    // Sorted by offset, as the kernel requires; libbpf keeps first-seen order, which is the same unless a
    // definition replaced an earlier entry (see btf-merge.ts).
    const vars = inOffsetOrder(sec.vars);
    builder.addDatasec(sec.name, sec.size, vars);
  }
  // Section names join the strings before dedup, which keeps the string section as it is.
  const funcInfo = subsection<OutFuncInfo>(state, "funcInfo");
  const lineInfo = subsection<OutLineInfo>(state, "lineInfo");
  const coreRelo = subsection<OutCoreRelo>(state, "coreRelo");
  // The builder added each string once, like libbpf's btf__add_str: dedup keeps the string section as it is.
  // Transient: the blob is copied into the output by writeElf and the map read below, before any other dedup.
  const deduped = dedupBuilder(builder, { stringsDeduplicated: true, transient: true });
  // Type ids of .BTF.ext records follow dedup's map here, not by dedup rewriting an encoded copy.
  remapTypeIds(funcInfo, deduped.typeIdMap);
  remapTypeIds(coreRelo, deduped.typeIdMap);
  const ext =
    funcInfo || lineInfo || coreRelo
      ? encodeBtfExt({
          littleEndian: builder.littleEndian,
          version: 1,
          flags: 0,
          hdrLen: BTF_EXT_HEADER_SIZE,
          funcInfo,
          lineInfo,
          coreRelo,
        })
      : undefined;
  return { btf: deduped.btf, ext };
}

/** The records are the link's own (finish runs once): their ids are rewritten in place. */
function remapTypeIds(sub: BtfExtSubsection<{ typeId: number }> | undefined, typeIdMap: Uint32Array): void {
  if (!sub) return;
  for (const sec of sub.sections) for (const r of sec.records) r.typeId = typeIdMap[r.typeId]!;
}

/**
 * Finishes the link and writes the object: straight from the link state (write-object.ts), or through
 * @bpfkit/elf's general writer (elf-model.ts) when `general` or when the output needs extended section numbering.
 */
export function finish(state: LinkState, general = false): Uint8Array {
  localizeHidden(state);
  const btf = finishBtf(state);
  if (general || !fitsPlainNumbering(state)) return writeWithModel(state, btf?.btf, btf?.ext);
  return writeObject(state, btf?.btf, btf?.ext);
}
