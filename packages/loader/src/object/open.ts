// Opening an object: ELF bytes → ObjectSpec, in libbpf's stage order (elf_collect → collect_externs → fixup_btf
// → init_maps → init_progs → collect_relos). Each stage is a function of its own file; this one only wires them
// and wraps ELF errors into LoaderError. A malformed .BTF is @bpfkit/btf's BtfError (Btf.parse validates it).

import type { Instruction } from "@bpfkit/asm";
import { Btf } from "@bpfkit/btf";
import { ElfError, type ElfFile, libbpfIgnoresSection, parseElf } from "@bpfkit/elf";
import { type BtfExt, parseBtfExt } from "../btf/btf-ext.js";
import { LoaderError } from "../errors.js";
import type { SectionTable } from "../sections/section-defs.js";
import { fixupBtf } from "./btf-fixup.js";
import { parseBtfMaps } from "./btf-maps.js";
import { classifyProgram, type ProgramTypeOverride } from "./classify.js";
import { checkDataMapSize, dataMaps, dataVariables, internalMap } from "./data-maps.js";
import { collectLayout } from "./elf-layout.js";
import { funcInfoFor, lineInfoFor } from "./ext-info.js";
import { collectExterns, kconfigMapSize } from "./externs.js";
import { decodeFunction, discoverFunctions, isSubprogram, type RawFunction } from "./functions.js";
import { parseLegacyMaps } from "./legacy-maps.js";
import { collectMapSlots } from "./map-slots.js";
import { recordRelocations } from "./relocations.js";
import type { FunctionSpec, MapSpec, ObjectSpec, ProgramSpec, RecordedRelocation, RelocationTarget } from "./spec.js";
import { bindStructOps, structOpsMaps } from "./struct-ops.js";

export interface OpenOptions {
  /** Object name (default: derived from `path`, else "bpf_object"). */
  readonly name?: string;
  /** File path, used only to derive the object name (libbpf: basename cut at the first '.'). */
  readonly path?: string;
  /** SEC() table: libbpf "1.1" (bpftool 7.1) or "head" (default: head, a superset). */
  readonly sectionTable?: SectionTable;
  /** Program types for programs whose section name the table does not know (or to override it). */
  readonly programTypes?: Readonly<Record<string, ProgramTypeOverride>>;
  /** Accept unknown section names (type 0) instead of failing; loading such programs fails later. */
  readonly allowUnknownSections?: boolean;
  /** Page size for ring buffer size rounding (default 4096). */
  readonly pageSize?: number;
}

/** libbpf: basename of the path, cut at the first '.'. */
export function objectNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.indexOf(".");
  return dot >= 0 ? base.slice(0, dot) : base;
}

function describe(target: RelocationTarget): string {
  switch (target.kind) {
    case "map":
    case "data":
      return target.map;
    case "extern-var":
    case "extern-func":
      return target.extern;
    case "call":
    case "subprog-addr":
      return target.symbol;
  }
}

/** Instructions with `reference` (and `symbol` on the first one) filled from the recorded relocations. */
function annotate(fn: RawFunction, little: boolean, relocations: readonly RecordedRelocation[]): Instruction[] {
  const decoded = decodeFunction(fn, little);
  const bySlot = new Map(relocations.map((r) => [r.insn, r.target]));
  let slot = 0;
  // Object.assign rather than spread: Node 20's V8 took about 4x longer over the same instructions with `{ ...insn }`
  // (xdp_parse.bpf.o's two programs: ~27 µs against ~6 µs per open).
  return decoded.map((insn, i) => {
    const target = bySlot.get(slot);
    slot += insn.immHi === undefined ? 1 : 2;
    let out: Instruction = insn;
    if (i === 0) out = Object.assign({}, out, { symbol: fn.name });
    if (target) out = Object.assign({}, out, { reference: describe(target) });
    return out;
  });
}

function parseElfOrThrow(bytes: Uint8Array): ElfFile {
  try {
    // The entries of the relocation sections the loader reads are checked here, so a bad one is an ELF error at
    // open as before; DWARF's are not (with -g they are most of a file's relocations, ~6 ms of a CLI loadall).
    const elf = parseElf(bytes, { lazyRelocations: true });
    for (const rel of elf.relocationSections) if (!libbpfIgnoresSection(rel.section)) rel.relocations;
    return elf;
  } catch (error) {
    if (error instanceof ElfError) {
      throw new LoaderError("ELF", `invalid ELF: ${error.message}`, {
        cause: error,
        offset: error.offset,
        section: error.section?.name,
      });
    }
    throw error;
  }
}

export function openObject(bytes: Uint8Array, options: OpenOptions = {}): ObjectSpec {
  const elf = parseElfOrThrow(bytes);
  const layout = collectLayout(elf);
  const little = elf.endianness === "little";
  const name = options.name ?? (options.path ? objectNameFromPath(options.path) : "bpf_object");
  const table = options.sectionTable ?? "head";
  const pageSize = options.pageSize ?? 4096;

  const functions = discoverFunctions(layout);
  const isSub = (fn: RawFunction) => isSubprogram(fn, layout, functions.length);

  // Parsed over the ELF bytes, with private type words: the fixups below patch them in place (no second copy), and
  // the spec keeps the result's encoding.
  const objectBtf = layout.btf ? Btf.parse(layout.btf.data).withPrivateWords() : undefined;
  const externs = collectExterns(layout, objectBtf);
  const kconfigSize = kconfigMapSize(externs);
  const fixed = objectBtf ? fixupBtf(objectBtf, layout, externs, kconfigSize, functions.filter(isSub)) : undefined;
  const btf = fixed?.btf;
  const ext: BtfExt | undefined = layout.btfExt && btf ? parseBtfExt(layout.btfExt.data, btf) : undefined;

  // Maps, in libbpf's order: .maps, (legacy maps), data sections, .kconfig, struct_ops.
  let maps: MapSpec[] = [];
  if (layout.mapsSection) {
    if (!btf) throw new LoaderError("BAD_BTF", "'.maps' section needs BTF, object has none", { section: ".maps" });
    maps.push(...parseBtfMaps(btf, layout.mapsSection.size, pageSize));
  }
  if (layout.legacyMapsSection) maps.push(...parseLegacyMaps(layout.legacyMapsSection, layout.symtab, little));
  const data = dataMaps(name, layout.dataSections, btf);
  maps.push(...data);
  if (kconfigSize > 0) {
    checkDataMapSize(".kconfig", kconfigSize); // before allocating its contents
    maps.push(internalMap(name, ".kconfig", "kconfig", kconfigSize, new Uint8Array(kconfigSize), btf));
  }
  maps.push(...structOpsMaps(layout, btf));
  const dataMapBySection = new Map<number, string>();
  for (const d of layout.dataSections) {
    const map = data.find((m) => m.section === d.section.name);
    if (map) dataMapBySection.set(d.section.index, map.name);
  }

  const relocations = recordRelocations(layout, functions, externs, maps, dataMapBySection);
  const entryPoints = functions
    .filter((f) => !isSub(f))
    .map((f) => ({ name: f.name, sectionIndex: f.section.index, offset: f.offset }));
  maps = collectMapSlots(layout, btf, maps, entryPoints);

  const toFunction = (fn: RawFunction): FunctionSpec => {
    const start = fn.offset / 8;
    const count = fn.size / 8;
    const rels = relocations.get(fn) ?? [];
    return {
      name: fn.name,
      section: fn.section.name,
      sectionInsnOffset: start,
      slotCount: count,
      instructions: annotate(fn, little, rels),
      relocations: rels,
      funcInfo: ext ? funcInfoFor(ext.funcInfo, fn.section.name, start, count) : [],
      lineInfo: ext ? lineInfoFor(ext.lineInfo, fn.section.name, start, count) : [],
      binding: fn.binding,
      hidden: fn.hidden,
    };
  };

  const classified: ProgramSpec[] = functions
    .filter((f) => !isSub(f))
    .map((fn) => {
      const cls = classifyProgram(
        fn.name,
        fn.section.name,
        table,
        options.programTypes?.[fn.name],
        options.allowUnknownSections ?? false,
      );
      // Extends the fresh FunctionSpec in place: spreading it into a new literal cost ~20 µs per program in V8.
      return Object.assign(toFunction(fn), {
        section: cls.section,
        sectionName: fn.section.name,
        type: cls.type,
        expectedAttachType: cls.expectedAttachType,
        attachTo: cls.attachTo,
        sleepable: cls.sleepable,
        xdpFrags: cls.xdpFrags,
        secFlags: cls.secFlags,
        secPattern: cls.secPattern,
        autoload: cls.autoload,
      });
    });
  // struct_ops function pointers → programs, once program types are known (libbpf: collect_st_ops_relos).
  const structOps = bindStructOps(layout, btf, maps, functions, classified);
  maps = structOps.maps;
  const programs = structOps.programs;

  const coreRelocations = (ext?.coreRelos ?? []).map((s) => ({ section: s.section, records: s.records }));
  return {
    name,
    endianness: elf.endianness,
    license: layout.license,
    kernelVersion: layout.kernelVersion,
    programs,
    subprograms: functions.filter(isSub).map(toFunction),
    maps,
    variables: dataVariables(maps, btf),
    externs: externs.map((e) => e.spec),
    btf: fixed?.bytes,
    funcInfoRecSize: ext?.funcInfoRecSize ?? 0,
    lineInfoRecSize: ext?.lineInfoRecSize ?? 0,
    coreRelocations,
    warnings: layout.warnings,
  };
}
