// The BTF fixups libbpf makes at open time, on a private copy (bpf_object__collect_externs' DATASEC rewrite,
// bpf_object_fixup_btf, and the hidden-subprogram → static FUNC change it makes before loading BTF):
// - `.ksyms`: every entry becomes a 4-byte allocated int VAR (functions are pointed at a `dummy_ksym` VAR);
// - `.kconfig`: VARs become allocated, at the offsets the loader chose;
// - other DATASECs: size from the ELF section, VAR offsets from the ELF symbols, hidden VARs static;
// - every DATASEC's entries sorted by offset.

import { type Btf, Kind, Linkage } from "@bpfkit/btf";
import { BtfPatcher } from "../btf/btf-patch.js";
import { type DatasecEntry, datasecEntries } from "../btf/datasec.js";
import { LoaderError } from "../errors.js";
import type { ObjectLayout } from "./elf-layout.js";
import type { CollectedExtern } from "./externs.js";
import type { RawFunction } from "./functions.js";

function firstInt32(btf: Btf): number {
  for (let id = 1; id < btf.typeCount; id++) {
    if (btf.kind(id) === Kind.INT && btf.intBits(id) === 32) return id;
  }
  return 0;
}

/** `.ksyms` (DATASEC `sec`): every entry becomes a 4-byte allocated VAR. */
function rewriteKsyms(patcher: BtfPatcher, sec: number, externs: readonly CollectedExtern[]): void {
  const hasFunc = datasecEntries(patcher.current, sec).some((e) => patcher.current.kind(e.type) === Kind.FUNC);
  const dummy = hasFunc ? patcher.appendVar("dummy_ksym", Linkage.GLOBAL, firstInt32(patcher.current)) : 0;
  const btf = patcher.current;
  const intId = firstInt32(btf);
  const entries = datasecEntries(btf, sec).map((entry, i): DatasecEntry => {
    const name = btf.nameOf(entry.type);
    if (!externs.some((e) => e.spec.name === name)) {
      throw new LoaderError("BAD_EXTERN", `failed to find extern definition for BTF '${name}'`, { symbol: name });
    }
    let type = entry.type;
    if (btf.kind(entry.type) === Kind.FUNC) {
      const proto = btf.refType(entry.type);
      for (let p = 0; p < btf.vlen(proto); p++) {
        if (btf.paramType(proto, p) !== 0 && btf.paramName(proto, p) === "") {
          patcher.setParamNameOffset(proto, p, btf.nameOff(dummy));
        }
      }
      patcher.setVlen(entry.type, Linkage.GLOBAL);
      type = dummy;
    } else {
      patcher.setVarLinkage(entry.type, Linkage.GLOBAL);
      patcher.setRefType(entry.type, intId);
    }
    return { type, offset: i * 4, size: 4 };
  });
  patcher.setDatasecEntries(sec, entries);
  patcher.setSize(sec, entries.length * 4);
}

/** `.kconfig` (DATASEC `sec`): VARs allocated at the offsets collectExterns chose. */
function rewriteKconfig(patcher: BtfPatcher, sec: number, externs: readonly CollectedExtern[], size: number): void {
  const btf = patcher.current;
  patcher.setSize(sec, size);
  const entries = datasecEntries(btf, sec).map((entry): DatasecEntry => {
    const name = btf.nameOf(entry.type);
    const ext = externs.find((e) => e.spec.name === name);
    if (!ext?.spec.kconfig) {
      throw new LoaderError("BAD_EXTERN", `failed to find extern definition for BTF var '${name}'`, { symbol: name });
    }
    patcher.setVarLinkage(entry.type, Linkage.GLOBAL);
    return { ...entry, offset: ext.spec.kconfig.offset };
  });
  patcher.setDatasecEntries(sec, entries);
}

function fixDatasec(patcher: BtfPatcher, layout: ObjectLayout, sec: number): void {
  const btf = patcher.current;
  const name = btf.nameOf(sec);
  let fixOffsets = false;
  if (btf.sizeField(sec) === 0) {
    const section = layout.elf.sectionByName(name);
    if (!section || section.size === 0) {
      throw new LoaderError("BAD_BTF", `sec '${name}': failed to determine size from ELF`, { section: name });
    }
    patcher.setSize(sec, section.size);
    fixOffsets = true;
  }
  const entries = datasecEntries(btf, sec).map((entry, i): DatasecEntry => {
    if (btf.kind(entry.type) !== Kind.VAR) {
      throw new LoaderError("BAD_BTF", `sec '${name}': entry #${i} is not a VAR`, { section: name });
    }
    const linkage = btf.linkage(entry.type);
    if (linkage === Linkage.STATIC || linkage === Linkage.EXTERN) return entry;
    const varName = btf.nameOf(entry.type);
    const sym = layout.symtab.symbols.find(
      (s) => s.name === varName && s.type === 1 /* STT_OBJECT */ && (s.binding === 1 || s.binding === 2),
    );
    if (!sym) {
      throw new LoaderError("BAD_BTF", `sec '${name}': failed to find ELF symbol for VAR '${varName}'`, {
        section: name,
        symbol: varName,
      });
    }
    if (sym.visibility === 2 /* STV_HIDDEN */ || sym.visibility === 1 /* STV_INTERNAL */) {
      patcher.setVarLinkage(entry.type, Linkage.STATIC);
    }
    return fixOffsets ? { ...entry, offset: sym.value } : entry;
  });
  patcher.setDatasecEntries(sec, entries);
}

export interface FixedBtf {
  /** The fixed-up BTF (`owned`, or its re-parse when a VAR was appended). */
  readonly btf: Btf;
  /** The same, encoded: what goes to the kernel. */
  readonly bytes: Uint8Array;
}

/** Applies the fixups to `owned` in place (a `withPrivateWords()` Btf, private to the caller) and returns the result. */
export function fixupBtf(
  owned: Btf,
  layout: ObjectLayout,
  externs: readonly CollectedExtern[],
  kconfigSize: number,
  subprograms: readonly RawFunction[],
): FixedBtf {
  // Every DATASEC, in id order (appending a VAR adds none); `.ksyms` and `.kconfig` are the first of each name,
  // as libbpf's btf__find_by_name_kind finds them.
  const datasecs: number[] = [];
  for (let id = owned.firstOwnId; id < owned.typeCount; id++) if (owned.kind(id) === Kind.DATASEC) datasecs.push(id);
  const ksyms = datasecs.find((id) => owned.nameOf(id) === ".ksyms");
  const kconfig = datasecs.find((id) => owned.nameOf(id) === ".kconfig");
  const patcher = new BtfPatcher(owned);
  if (ksyms !== undefined) rewriteKsyms(patcher, ksyms, externs);
  if (kconfig !== undefined) rewriteKconfig(patcher, kconfig, externs, kconfigSize);
  const fixed = patcher.current;
  for (const id of datasecs) {
    const name = fixed.nameOf(id);
    if (name !== ".kconfig" && name !== ".ksyms") fixDatasec(patcher, layout, id);
    const sorted = datasecEntries(fixed, id).sort((a, b) => a.offset - b.offset);
    patcher.setDatasecEntries(id, sorted);
  }
  // Hidden global subprograms get a static FUNC so the verifier checks them in their caller's context.
  for (const fn of subprograms) {
    if (!fn.hidden) continue;
    for (const id of fixed.findAllByName(fn.name, Kind.FUNC)) {
      if (fixed.linkage(id) === Linkage.GLOBAL) {
        patcher.setVlen(id, Linkage.STATIC);
        break;
      }
    }
  }
  return { btf: patcher.current, bytes: patcher.finish() };
}
