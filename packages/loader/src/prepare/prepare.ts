// The pure "prepare" step between an opened spec and a backend: given the kernel facts (kconfig text, kernel BTF,
// kallsyms, features) and the fds of created maps, compute everything BPF_MAP_CREATE and BPF_PROG_LOAD need.
// Order follows libbpf 1.1's load: externs → maps (create is the caller's) → CO-RE → link subprograms → data
// relocations. Nothing here changes the spec: every byte array handed out is a fresh copy.

import { encodeInstructions } from "@bpfkit/asm";
import { Btf } from "@bpfkit/btf";
import type { ProgramCoreRelocation } from "../backend.js";
import { LoaderError } from "../errors.js";
import { BPF_F_MMAPABLE } from "../object/data-maps.js";
import type { ExternSpec, FunctionSpec, MapSpec, ObjectSpec, ProgramSpec } from "../object/spec.js";
import { BPF_PROG_TYPE_STRUCT_OPS } from "../object/struct-ops.js";
import { SecFlag } from "../sections/section-defs.js";
import type { CoreOptions } from "./core-hook.js";
import { type CoreFunction, placeCoreRelocations } from "./core-relocations.js";
import { buildKconfigData, type KconfigInput } from "./kconfig.js";
import { type KsymInput, type ResolvedKsyms, resolveKsyms } from "./ksyms.js";
import { type LinkInput, linkProgram, markPseudoFuncs } from "./link.js";
import { applyRelocations } from "./patch.js";
import { type PreparedStructOps, structOpsAttachments } from "./struct-ops.js";

export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;

/** What the target supports that changes what we ask for (defaults: a modern kernel). */
export interface PrepareFeatures {
  readonly arrayMmap?: boolean;
  readonly expAttachType?: boolean;
  readonly btfFunc?: boolean;
}

export interface ExternInput extends KconfigInput, KsymInput {}

export interface PreparedExterns {
  /** Contents of the .kconfig map (undefined when the object has no kconfig externs). */
  readonly kconfig: Uint8Array | undefined;
  readonly ksyms: ResolvedKsyms;
}

/** Resolves every extern; strong externs that stay unresolved are errors naming them. */
export function prepareExterns(spec: ObjectSpec, input: ExternInput = {}): PreparedExterns {
  const kconfigMap = spec.maps.find((m) => m.kind === "kconfig");
  const kconfig = kconfigMap
    ? buildKconfigData(spec.externs, kconfigMap.valueSize, input, spec.endianness === "little")
    : undefined;
  return { kconfig, ksyms: resolveKsyms(spec.externs, input) };
}

export interface MapCreatePlan {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly numaNode: number;
  readonly mapExtra: bigint;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  /** struct_ops maps: the kernel's `bpf_struct_ops_T` (0 for other maps). */
  readonly btfVmlinuxValueTypeId: number;
}

export interface PreparedMap {
  readonly spec: MapSpec;
  readonly create: MapCreatePlan;
  /** Template to create first and pass as the inner map (map-in-map). */
  readonly inner: MapCreatePlan | undefined;
  /** Value of key 0 to write after creation (global data, .kconfig). */
  readonly contents: Uint8Array | undefined;
  readonly freeze: boolean;
  /** Pin path for LIBBPF_PIN_BY_NAME maps (`<pinRoot>/<name>`). */
  readonly pinPath: string | undefined;
  /** struct_ops maps: the kernel layout; the map is registered later, by writing `structOpsValue()` at key 0. */
  readonly structOps?: PreparedStructOps;
}

function createPlan(map: MapSpec, features: PrepareFeatures, possibleCpus: number | undefined): MapCreatePlan {
  let flags = map.flags;
  if (features.arrayMmap === false) flags &= ~BPF_F_MMAPABLE;
  let maxEntries = map.maxEntries;
  // libbpf sizes an unsized perf event array to the number of possible CPUs.
  if (map.type === 4 && maxEntries === 0 && possibleCpus) maxEntries = possibleCpus;
  return {
    mapType: map.type,
    keySize: map.keySize,
    valueSize: map.valueSize,
    maxEntries,
    flags,
    name: map.name,
    numaNode: map.numaNode,
    mapExtra: map.mapExtra,
    btfKeyTypeId: map.btfKeyTypeId,
    btfValueTypeId: map.btfValueTypeId,
    btfVmlinuxValueTypeId: 0,
  };
}

export interface PrepareMapsOptions {
  readonly externs?: PreparedExterns;
  readonly features?: PrepareFeatures;
  /** Directory for LIBBPF_PIN_BY_NAME maps (default /sys/fs/bpf). */
  readonly pinRoot?: string;
  readonly possibleCpus?: number;
  /** Kernel layouts of the struct_ops maps (`prepareStructOps`); required when the object has any. */
  readonly structOps?: readonly PreparedStructOps[];
}

function kconfigContents(map: MapSpec, externs: PreparedExterns | undefined): Uint8Array {
  if (!externs?.kconfig) {
    throw new LoaderError("UNRESOLVED", `map '${map.name}': .kconfig values need prepareExterns() first`, {
      map: map.name,
    });
  }
  return new Uint8Array(externs.kconfig);
}

/** A struct_ops map is created with the kernel's value type and size, and no initial write (that registers it). */
function structOpsMap(map: MapSpec, options: PrepareMapsOptions): PreparedMap {
  const prepared = options.structOps?.find((p) => p.map === map.name);
  if (!prepared) {
    throw new LoaderError(
      "UNRESOLVED",
      `struct_ops map '${map.name}': its kernel layout is unknown; pass \`structOps\` from prepareStructOps()`,
      { map: map.name },
    );
  }
  const create = createPlan(map, options.features ?? {}, options.possibleCpus);
  return {
    spec: map,
    create: { ...create, valueSize: prepared.valueSize, btfVmlinuxValueTypeId: prepared.valueTypeId },
    inner: undefined,
    contents: undefined,
    freeze: false,
    pinPath: undefined,
    structOps: prepared,
  };
}

export function prepareMaps(spec: ObjectSpec, options: PrepareMapsOptions = {}): PreparedMap[] {
  const features = options.features ?? {};
  return spec.maps
    .filter((m) => m.autocreate)
    .map((map) =>
      map.structOps
        ? structOpsMap(map, options)
        : {
            spec: map,
            create: createPlan(map, features, options.possibleCpus),
            inner: map.innerMap ? createPlan(map.innerMap, features, options.possibleCpus) : undefined,
            contents:
              map.kind === "kconfig"
                ? kconfigContents(map, options.externs)
                : map.contents
                  ? new Uint8Array(map.contents)
                  : undefined,
            freeze: map.freeze,
            pinPath: map.pinning === "by-name" ? `${options.pinRoot ?? "/sys/fs/bpf"}/${map.name}` : undefined,
          },
    );
}

export interface PreparedProgram {
  readonly name: string;
  readonly section: string;
  readonly type: number;
  readonly expectedAttachType: number;
  /** BPF_F_SLEEPABLE / BPF_F_XDP_HAS_FRAGS. */
  readonly flags: number;
  readonly attachTo: string | undefined;
  /** struct_ops programs: the kernel struct's BTF id (undefined for others; attach targets by name are the loader's). */
  readonly attachBtfId: number | undefined;
  readonly license: string;
  readonly kernelVersion: number;
  /** Final instruction bytes. */
  readonly insns: Uint8Array;
  /** Packed bpf_func_info records (8 bytes each) / bpf_line_info records (16 bytes each). */
  readonly funcInfo: { readonly bytes: Uint8Array; readonly recordSize: number } | undefined;
  readonly lineInfo: { readonly bytes: Uint8Array; readonly recordSize: number } | undefined;
  /** fd_array for module kfuncs (empty when none). */
  readonly fdArray: readonly number[];
  /** Subprograms appended, with their start slot. */
  readonly subprograms: readonly { readonly name: string; readonly offset: number }[];
  /** CO-RE relocations of the final program (appended subprograms' at their final slots), poisoned ones included. */
  readonly coreRelocations: readonly ProgramCoreRelocation[];
}

export interface PrepareProgramsOptions<Targets = unknown, Applied = unknown> {
  /** fd per created map name. Maps with autocreate=false get their references poisoned like libbpf does. */
  readonly mapFds: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  readonly externs?: PreparedExterns;
  /** Programs to prepare (default: every program with autoload). */
  readonly programs?: readonly string[];
  readonly features?: PrepareFeatures;
  /** The running kernel's version code, passed as kern_version (libbpf does the same). */
  readonly kernelVersion?: number;
  /** CO-RE engine and targets; required when the object has CO-RE relocations. */
  readonly core?: CoreOptions<Targets, Applied>;
  /**
   * Kernel layouts of the struct_ops maps (`prepareStructOps`): a struct_ops program loads with attach_btf_id and
   * expected_attach_type from the map member it is bound to, and cannot load unbound.
   */
  readonly structOps?: readonly PreparedStructOps[];
}

/** Why a struct_ops program has no attach target: not prepared, or bound to no map. */
function unboundStructOps(spec: ObjectSpec, program: ProgramSpec): LoaderError {
  const map = spec.maps.find((m) => m.structOps?.functions.some((f) => f.program === program.name));
  const message = map
    ? `prog '${program.name}': bound to struct_ops map '${map.name}', whose kernel layout is unknown; ` +
      "pass `structOps` from prepareStructOps()"
    : `prog '${program.name}': struct_ops program is not set in any struct_ops map, so it has no kernel ` +
      "struct member to attach to (the kernel refuses it)";
  return new LoaderError("UNRESOLVED", message, { program: program.name, map: map?.name });
}

export interface PreparedPrograms<Applied = unknown> {
  readonly programs: PreparedProgram[];
  /** What the CO-RE engine reported for each relocation. */
  readonly coreRelocations: readonly Applied[];
}

function packFuncInfo(records: readonly { insnOff: number; typeId: number }[], little: boolean): Uint8Array {
  const out = new Uint8Array(records.length * 8);
  const view = new DataView(out.buffer);
  records.forEach((r, i) => {
    view.setUint32(i * 8, r.insnOff, little);
    view.setUint32(i * 8 + 4, r.typeId, little);
  });
  return out;
}

function packLineInfo(
  records: readonly { insnOff: number; fileNameOff: number; lineOff: number; lineCol: number }[],
  little: boolean,
): Uint8Array {
  const out = new Uint8Array(records.length * 16);
  const view = new DataView(out.buffer);
  records.forEach((r, i) => {
    view.setUint32(i * 16, r.insnOff, little);
    view.setUint32(i * 16 + 4, r.fileNameOff, little);
    view.setUint32(i * 16 + 8, r.lineOff, little);
    view.setUint32(i * 16 + 12, r.lineCol, little);
  });
  return out;
}

function encodeFunction(
  fn: { instructions: ProgramSpec["instructions"]; slotCount: number; name: string },
  little: boolean,
): Uint8Array {
  let out: Uint8Array;
  try {
    out = encodeInstructions(fn.instructions, little ? "little" : "big", { lenient: true });
  } catch (error) {
    throw new LoaderError("BAD_PROGRAM", `function '${fn.name}': ${(error as Error).message}`, {
      symbol: fn.name,
      cause: error,
    });
  }
  if (out.length !== fn.slotCount * 8) {
    throw new LoaderError(
      "BAD_PROGRAM",
      `function '${fn.name}': instructions fill ${out.length / 8} slots, expected ${fn.slotCount}`,
      {
        symbol: fn.name,
      },
    );
  }
  return out;
}

/** The function as the CO-RE engine sees it: programs under their SEC() name as written (the .BTF.ext name). */
function coreFunction(fn: FunctionSpec | ProgramSpec): CoreFunction {
  return { name: fn.name, section: (fn as Partial<ProgramSpec>).sectionName ?? fn.section };
}

function externOffsets(externs: readonly ExternSpec[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of externs) if (e.kconfig) out.set(e.name, e.kconfig.offset);
  return out;
}

export function preparePrograms<Targets = unknown, Applied = unknown>(
  spec: ObjectSpec,
  options: PrepareProgramsOptions<Targets, Applied>,
): PreparedPrograms<Applied> {
  const little = spec.endianness === "little";
  const features = options.features ?? {};
  const wanted = options.programs
    ? options.programs.map((name) => {
        const p = spec.programs.find((q) => q.name === name);
        if (!p) throw new LoaderError("NOT_FOUND", `program '${name}' not found`, { program: name });
        return p;
      })
    : spec.programs.filter((p) => p.autoload);
  const structOps = structOpsAttachments(options.structOps ?? []);
  for (const p of wanted) {
    if (p.type === BPF_PROG_TYPE_STRUCT_OPS && !structOps.has(p.name)) throw unboundStructOps(spec, p);
    if (p.type === 0) {
      throw new LoaderError(
        "UNKNOWN_SECTION",
        `prog '${p.name}': missing BPF prog type, check ELF section name '${p.section}'`,
        { program: p.name, section: p.section },
      );
    }
  }

  // 1. Instruction bytes of every function, CO-RE applied (to all functions, like libbpf 1.1).
  const functions = [...spec.programs, ...spec.subprograms];
  let bytes = functions.map((fn) => encodeFunction(fn, little));
  let coreRelocations: Applied[] = [];
  const hasCore = spec.coreRelocations.some((s) => s.records.length > 0);
  if (hasCore) {
    if (!options.core) {
      throw new LoaderError("CORE", "object has CO-RE relocations: pass `core: { relocate, targets }` to prepare it");
    }
    if (!spec.btf) throw new LoaderError("BAD_BTF", "CO-RE relocations without BTF");
    const localBtf = Btf.parse(spec.btf); // outside the try: malformed BTF is a BtfError, not a CO-RE failure
    const wantedNames = new Set(wanted.map((p) => p.name));
    try {
      const result = options.core.relocate({
        localBtf,
        sections: spec.coreRelocations.map((s) => ({ name: s.section, records: s.records })),
        programs: functions.map((fn, i) => ({
          ...coreFunction(fn),
          sectionInsnOffset: fn.sectionInsnOffset,
          insns: bytes[i]!,
          autoload: "autoload" in fn ? wantedNames.has(fn.name) : true,
        })),
        targets: options.core.targets,
        littleEndian: little,
        onTrace: options.core.onTrace,
      });
      bytes = result.insns;
      coreRelocations = result.relocations;
    } catch (error) {
      if (error instanceof LoaderError) throw error;
      throw new LoaderError("CORE", `CO-RE relocation failed: ${(error as Error).message}`, { cause: error });
    }
  }

  // 2. Callback addresses marked as BPF_PSEUDO_FUNC.
  const inputs: LinkInput[] = functions.map((fn, i) => ({ fn, bytes: markPseudoFuncs(fn, bytes[i]!, little) }));
  const text = inputs.slice(spec.programs.length);
  const mapFds =
    options.mapFds instanceof Map
      ? (options.mapFds as ReadonlyMap<string, number>)
      : new Map(Object.entries(options.mapFds as Record<string, number>));
  const kconfigMap = spec.maps.find((m) => m.kind === "kconfig")?.name;
  const mapIndex = new Map(spec.maps.map((m, i) => [m.name, i]));
  const skippedMaps = new Set(spec.maps.filter((m) => !m.autocreate).map((m) => m.name));
  const kconfigOffsets = externOffsets(spec.externs);
  const ksyms =
    options.externs?.ksyms ??
    resolveKsyms(
      spec.externs.filter((e) => e.kind !== "ksym"),
      {},
    );

  // 3. Link each wanted program with the subprograms it uses, then 4. patch data references.
  const programs = wanted.map((program): PreparedProgram => {
    const entry = inputs[spec.programs.indexOf(program)]!;
    const linked = linkProgram(entry, text, little);
    const insns = linked.bytes;
    applyRelocations(insns, linked.relocations, {
      program: program.name,
      little,
      mapFds,
      mapIndex,
      skippedMaps,
      kconfigMap,
      kconfigOffsets,
      ksyms: ksyms.values,
    });
    const withExt = features.btfFunc !== false && spec.btf !== undefined;
    let flags = 0;
    if (program.sleepable) flags |= BPF_F_SLEEPABLE;
    if (program.xdpFrags) flags |= BPF_F_XDP_HAS_FRAGS;
    const dropAttach = (program.secFlags & SecFlag.EXP_ATTACH_OPT) !== 0 && features.expAttachType === false;
    const member = program.type === BPF_PROG_TYPE_STRUCT_OPS ? structOps.get(program.name) : undefined;
    return {
      name: program.name,
      section: program.section,
      type: program.type,
      expectedAttachType: member ? member.expectedAttachType : dropAttach ? 0 : program.expectedAttachType,
      flags,
      attachTo: program.attachTo,
      attachBtfId: member?.attachBtfId,
      license: spec.license,
      kernelVersion: spec.kernelVersion || (options.kernelVersion ?? 0),
      insns,
      funcInfo:
        withExt && linked.funcInfo ? { bytes: packFuncInfo(linked.funcInfo, little), recordSize: 8 } : undefined,
      lineInfo:
        withExt && linked.lineInfo ? { bytes: packLineInfo(linked.lineInfo, little), recordSize: 16 } : undefined,
      fdArray: ksyms.fdArray,
      subprograms: linked.layout,
      coreRelocations: placeCoreRelocations(
        coreRelocations,
        coreFunction(program),
        linked.layout.map(({ name, offset }) => ({
          function: coreFunction(spec.subprograms.find((f) => f.name === name)!),
          offset,
        })),
      ),
    };
  });
  return { programs, coreRelocations };
}
