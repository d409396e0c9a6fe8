// The end of a link (libbpf's bpf_linker__finalize / finalize_btf): hidden globals become local, one DATASEC per
// section that had BTF, .BTF.ext assembled per output section, the merged BTF deduplicated with @bpfkit/btf's
// dedup (libbpf's btf__dedup, byte for byte), and the ELF written (write-object.ts). Output order is libbpf's:
// .strtab, .symtab, sections as first created, .BTF, .BTF.ext.

import { dedupBuilder, Kind, Linkage } from "@bpfkit/btf";
import { STB_LOCAL, STV_HIDDEN } from "@bpfkit/elf";
import { writeWithModel } from "./elf-model.js";
import { collectBtfExt, encodeBtfExt } from "./ext-output.js";
import type { DatasecVar } from "./output.js";
import type { LinkState } from "./state.js";
import { fitsPlainNumbering, writeObject } from "./write-object.js";

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
  const ext = collectBtfExt(state);
  // The builder added each string once, like libbpf's btf__add_str: dedup keeps the string section as it is.
  // Transient: the blob is copied into the output by writeObject and the map read below, before any other dedup.
  const deduped = dedupBuilder(builder, { stringsDeduplicated: true, transient: true });
  // .BTF.ext type ids follow dedup's map as the records are written (no encoded copy for dedup to rewrite).
  return { btf: deduped.btf, ext: ext && encodeBtfExt(ext, deduped.typeIdMap, builder.littleEndian) };
}

export function finish(state: LinkState, general = false): Uint8Array {
  localizeHidden(state);
  const btf = finishBtf(state);
  if (general || !fitsPlainNumbering(state)) return writeWithModel(state, btf?.btf, btf?.ext);
  return writeObject(state, btf?.btf, btf?.ext);
}
