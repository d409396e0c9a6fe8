// The object-level CO-RE pass (libbpf's bpf_object__relocate_core): walk the .BTF.ext core_relo records of each
// ELF section, find the program owning each instruction, resolve the relocation against the targets (candidate
// lists cached per local type id and shared across programs) and patch a copy of the program's instructions.
// Pure: input bytes are never modified; the result carries the patched copies and a trace of every relocation.

import type { CoreBtf } from "./btf-view.js";
import { essentialName, kindString, validId } from "./btf-view.js";
import type { CoreReloResult } from "./calc.js";
import { type CoreCandidate, type CoreTargets, findCandidates } from "./candidates.js";
import { asCoreFailure, type CoreErrorContext, CoreRelocationError } from "./errors.js";
import { InsnSlots, patchInstruction } from "./patch.js";
import { CoreReloKind, coreReloKindName, isKnownReloKind } from "./relo-kinds.js";
import { resolveRelocation } from "./resolve.js";
import { type CoreSpec, formatSpec, parseSpec, truncateLikeLibbpf } from "./spec.js";

/** One core_relo record of .BTF.ext (bpf_core_relo). */
export interface CoreReloRecord {
  /** Byte offset of the instruction inside its ELF section. */
  readonly insnOff: number;
  readonly typeId: number;
  /** Access string; when absent it is read from the local BTF at `accessStrOff`. */
  readonly accessString?: string;
  readonly accessStrOff?: number;
  readonly kind: number;
}

/** The core_relo records of one ELF section, in .BTF.ext order (record index = libbpf's "relo #N"). */
export interface CoreReloSection {
  readonly name: string;
  readonly records: readonly CoreReloRecord[];
}

/** A program before relocation: instructions of one function (+ nothing appended yet). */
export interface CoreProgram {
  readonly name: string;
  /** ELF section holding the program. */
  readonly section: string;
  /** Index (in 8-byte slots) of the program's first instruction inside the section. */
  readonly sectionInsnOffset: number;
  /** Raw instructions, 8 bytes each. Not modified. */
  readonly insns: Uint8Array;
  /** Programs that will not be loaded are skipped like libbpf skips non-autoload programs. Default true. */
  readonly autoload?: boolean;
}

export interface RelocateCoreOptions {
  /** The object's BTF (.BTF). */
  readonly localBtf: CoreBtf;
  readonly sections: readonly CoreReloSection[];
  readonly programs: readonly CoreProgram[];
  /** Target BTFs. Only TYPE_ID_LOCAL relocations can be applied without one. */
  readonly targets?: CoreTargets;
  /** Byte order of the instructions. Default little-endian. */
  readonly littleEndian?: boolean;
  /** Receives every trace line as it is produced (libbpf debug-log text without the "libbpf: " prefix). */
  readonly onTrace?: (line: string) => void;
}

/** What happened to one relocation: the human-readable trace of the brief, as data. */
export interface AppliedRelocation {
  readonly program: string;
  readonly section: string;
  /** libbpf's relo #N: index of the record in its section. */
  readonly reloIndex: number;
  /** Instruction index inside the program (before subprograms are appended). */
  readonly insnIndex: number;
  readonly kind: number;
  readonly kindName: string;
  /** Formatted local spec, e.g. `<byte_off> [21] struct task_struct.pid (0:92 @ offset 1264)`. */
  readonly localSpec: string;
  /** Formatted spec of the chosen target type, undefined if no candidate matched. */
  readonly targetSpec: string | undefined;
  /** Chosen target type id and the BTF it lives in ("vmlinux", module name, or the custom target's name). */
  readonly targetTypeId: number | undefined;
  readonly targetBtf: string | undefined;
  /** Value the instruction held before (imm, off or imm64); undefined when poisoned. */
  readonly oldValue: bigint | undefined;
  /** Value patched in; undefined when poisoned. */
  readonly newValue: bigint | undefined;
  readonly poisoned: boolean;
  /** Raw result (for tools such as min_core_btf). */
  readonly result: CoreReloResult;
  /** Parsed specs; `target` undefined when nothing matched. */
  readonly specs: { readonly local: CoreSpec; readonly target: CoreSpec | undefined };
}

export interface RelocateCoreResult {
  /** Patched copies of each input program's instructions, same order as `programs`. */
  readonly insns: Uint8Array[];
  readonly relocations: AppliedRelocation[];
  /** Every trace line in order (also streamed to `onTrace`). */
  readonly trace: string[];
}

function findProgram(programs: readonly CoreProgram[], section: string, insnIndex: number): number {
  return programs.findIndex(
    (p) =>
      p.section === section &&
      insnIndex >= p.sectionInsnOffset &&
      insnIndex < p.sectionInsnOffset + Math.floor(p.insns.length / 8),
  );
}

/** Text for a record whose spec could not be parsed: `[id] kind name + access`. */
function rawRecordText(btf: CoreBtf, record: CoreReloRecord, access: string | undefined): string {
  if (!validId(btf, record.typeId)) return `[${record.typeId}] + ${access ?? "<?>"}`;
  const name = btf.nameOf(record.typeId);
  return `<${coreReloKindName(record.kind)}> [${record.typeId}] ${kindString(btf.kind(record.typeId))} ${name === "" ? "<anon>" : name} + ${access ?? "<?>"}`;
}

/** Tells the main target's index which essential names the relocations will need, so it can find them in one pass. */
function prefetchCandidateNames(options: RelocateCoreOptions): void {
  const main = options.targets?.custom ?? options.targets?.vmlinux;
  if (!main?.index.prefetch) return;
  const { localBtf, programs } = options;
  const names = new Set<string>();
  for (const section of options.sections) {
    for (const record of section.records) {
      if (record.kind === CoreReloKind.TYPE_ID_LOCAL || !validId(localBtf, record.typeId)) continue;
      if (record.insnOff % 8 !== 0) continue;
      const owner = findProgram(programs, section.name, record.insnOff / 8);
      if (owner < 0 || programs[owner]!.autoload === false) continue;
      const name = essentialName(localBtf.nameOf(record.typeId));
      if (name !== "") names.add(name);
    }
  }
  main.index.prefetch([...names]);
}

/** Where a record lands: its program and the instruction index inside it; undefined when libbpf would skip it. */
function locateRecord(
  programs: readonly CoreProgram[],
  section: string,
  record: CoreReloRecord,
  reloIndex: number,
  emit: (line: string) => void,
): { programIndex: number; insnIndex: number } | undefined {
  const context = { section, reloIndex };
  if (!Number.isInteger(record.insnOff) || record.insnOff < 0 || record.insnOff % 8 !== 0) {
    throw new CoreRelocationError("BAD_RECORD", `instruction offset ${record.insnOff} is not a multiple of 8`, context);
  }
  const sectionInsn = record.insnOff / 8;
  const programIndex = findProgram(programs, section, sectionInsn);
  if (programIndex >= 0) {
    const program = programs[programIndex]!;
    if (program.autoload === false) return undefined;
    return { programIndex, insnIndex: sectionInsn - program.sectionInsnOffset };
  }
  // libbpf skips records of instructions no program owns (weak subprograms the linker dropped); we do too when the
  // offset is inside the section's known code, and refuse offsets past all of it.
  const sectionEnd = Math.max(
    0,
    ...programs.filter((p) => p.section === section).map((p) => p.sectionInsnOffset + Math.floor(p.insns.length / 8)),
  );
  if (sectionInsn >= sectionEnd) {
    throw new CoreRelocationError(
      "BAD_RECORD",
      `instruction #${sectionInsn} is past the end of section '${section}' (${sectionEnd} instructions)`,
      { ...context, insnIndex: sectionInsn },
    );
  }
  emit(
    `sec '${section}': skipping CO-RE relocation #${reloIndex} for insn #${sectionInsn} belonging to eliminated weak subprogram`,
  );
  return undefined;
}

/** Checks a record's kind, type id and access string and parses its local spec. */
function parseRecord(localBtf: CoreBtf, record: CoreReloRecord, where: CoreErrorContext): CoreSpec {
  if (!isKnownReloKind(record.kind)) {
    throw new CoreRelocationError("BAD_RECORD", `unrecognized CO-RE relocation kind ${record.kind}`, where);
  }
  if (!validId(localBtf, record.typeId) || record.typeId === 0) {
    throw new CoreRelocationError("BAD_TYPE_ID", `type id ${record.typeId} is not in the object's BTF`, where);
  }
  const access =
    record.accessString ?? (record.accessStrOff === undefined ? undefined : localBtf.stringAt(record.accessStrOff));
  const spec = rawRecordText(localBtf, record, access);
  if (access === undefined) {
    throw new CoreRelocationError("BAD_ACCESS_STRING", `access string offset ${record.accessStrOff} is out of range`, {
      ...where,
      spec,
    });
  }
  try {
    return parseSpec(localBtf, record.typeId, access, record.kind);
  } catch (caught) {
    const error = asCoreFailure(caught);
    if (!error) throw caught;
    throw new CoreRelocationError(error.code, `parsing ${spec} failed: ${error.message}`, { ...where, spec });
  }
}

/** Runs `step`, turning engine failures into a CoreRelocationError that carries the relocation's context. */
function withContext<T>(where: CoreErrorContext, step: () => T): T {
  try {
    return step();
  } catch (caught) {
    const error = asCoreFailure(caught);
    if (error) throw new CoreRelocationError(error.code, error.message, where);
    throw caught;
  }
}

export function relocateCore(options: RelocateCoreOptions): RelocateCoreResult {
  const { localBtf, programs, targets } = options;
  const littleEndian = options.littleEndian ?? true;
  const trace: string[] = [];
  const emit = (line: string) => {
    trace.push(line);
    options.onTrace?.(line);
  };
  const insns = programs.map((p) => p.insns.slice());
  const slots = insns.map((bytes) => new InsnSlots(bytes, littleEndian));
  const relocations: AppliedRelocation[] = [];
  // Candidate lists per local type id, shared by all programs and narrowed as relocations match (as in libbpf).
  const candidateCache = new Map<number, CoreCandidate[]>();
  prefetchCandidateNames(options);

  const candidatesFor = (typeId: number, where: CoreErrorContext): CoreCandidate[] => {
    const cached = candidateCache.get(typeId);
    if (cached) return cached;
    if (localBtf.nameOf(typeId) === "") {
      throw new CoreRelocationError("UNSUPPORTED", "target candidate search failed: local type is anonymous", where);
    }
    if (!targets || (!targets.custom && !targets.vmlinux && !(targets.modules ?? []).length)) {
      throw new CoreRelocationError("NO_TARGET", "no target BTF to relocate against", where);
    }
    const found = withContext(where, () => findCandidates(localBtf, typeId, targets, emit));
    candidateCache.set(typeId, found);
    return found;
  };

  for (const section of options.sections) {
    if (section.records.length === 0) continue;
    emit(`sec '${section.name}': found ${section.records.length} CO-RE relocations`);
    section.records.forEach((record, reloIndex) => {
      const located = locateRecord(programs, section.name, record, reloIndex, emit);
      if (!located) return;
      const { programIndex, insnIndex } = located;
      const program = programs[programIndex]!;
      const prefix = `prog '${program.name}': relo #${reloIndex}: `;
      const at = { section: section.name, reloIndex, program: program.name, insnIndex };
      const localSpec = parseRecord(localBtf, record, at);
      const localText = formatSpec(localSpec);
      const where = { ...at, spec: localText };

      const candidates = record.kind === CoreReloKind.TYPE_ID_LOCAL ? undefined : candidatesFor(record.typeId, where);
      emit(`${prefix}${truncateLikeLibbpf(localText)}`);
      const resolved = withContext(where, () =>
        resolveRelocation(localSpec, candidates, prefix, `insn #${insnIndex}`, emit),
      );
      const outcome = withContext(where, () =>
        patchInstruction(slots[programIndex]!, insnIndex, resolved.result, prefix, emit),
      );
      const target = resolved.targetSpec;
      relocations.push({
        program: program.name,
        section: section.name,
        reloIndex,
        insnIndex,
        kind: record.kind,
        kindName: coreReloKindName(record.kind),
        localSpec: localText,
        targetSpec: target ? formatSpec(target) : undefined,
        targetTypeId: resolved.candidate?.id,
        targetBtf: resolved.candidate?.target.name,
        oldValue: outcome.oldValue,
        newValue: outcome.poisoned ? undefined : resolved.result.newVal,
        poisoned: outcome.poisoned,
        result: resolved.result,
        specs: { local: localSpec, target },
      });
    });
  }
  return { insns, relocations, trace };
}
