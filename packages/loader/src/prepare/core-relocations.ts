// CO-RE relocations of a program as it is loaded, and what they explain when the load fails. The engine reports
// each relocation against the function it is in (entry program or .text subprogram, index inside that function);
// after subprograms are appended we shift them to the final program, like libbpf keeps its CO-RE relo descriptors
// per final program. A relocation that could not be satisfied is poisoned (`call 0xbad2310`); if the verifier
// reaches it, the log is rewritten into libbpf's wording and the relocation named (@bpfkit/btf's verifier-log).

import { findFailedCoreRelocation, fixupVerifierLog } from "@bpfkit/btf";
import type { ProgramCoreRelocation } from "../backend.js";

/** The fields of the engine's report (@bpfkit/btf's AppliedRelocation) the loader reads. */
interface EngineRelocation {
  readonly program: string;
  readonly section: string;
  readonly reloIndex: number;
  readonly insnIndex: number;
  readonly kindName: string;
  readonly localSpec: string;
  readonly targetSpec: string | undefined;
  readonly poisoned: boolean;
}

function isEngineRelocation(value: unknown): value is EngineRelocation {
  const r = value as Partial<EngineRelocation> | null;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.program === "string" &&
    typeof r.section === "string" &&
    typeof r.insnIndex === "number" &&
    typeof r.localSpec === "string"
  );
}

/** A function of the object as it was handed to the engine (its section is the .BTF.ext section name). */
export interface CoreFunction {
  readonly name: string;
  readonly section: string;
}

/**
 * The relocations of one final program: those of the entry program at their own index, those of each appended
 * subprogram shifted by its start slot. `applied` entries the loader cannot read (a substitute engine reporting
 * something else) are left out.
 */
export function placeCoreRelocations(
  applied: readonly unknown[],
  entry: CoreFunction,
  appended: readonly { readonly function: CoreFunction; readonly offset: number }[],
): ProgramCoreRelocation[] {
  const out: ProgramCoreRelocation[] = [];
  const place = (fn: CoreFunction, offset: number, subprogram: string | undefined) => {
    for (const r of applied) {
      if (!isEngineRelocation(r) || r.program !== fn.name || r.section !== fn.section) continue;
      out.push({
        insnIndex: offset + r.insnIndex,
        localSpec: r.localSpec,
        kindName: typeof r.kindName === "string" ? r.kindName : "unknown",
        targetSpec: typeof r.targetSpec === "string" ? r.targetSpec : undefined,
        section: r.section,
        reloIndex: typeof r.reloIndex === "number" ? r.reloIndex : -1,
        subprogram,
        poisoned: r.poisoned === true,
      });
    }
  };
  place(entry, 0, undefined);
  for (const { function: fn, offset } of appended) place(fn, offset, fn.name);
  return out.sort((a, b) => a.insnIndex - b.insnIndex);
}

/** A verifier refusal caused by a reached poisoned CO-RE relocation. */
export interface CoreLoadFailure {
  /** The verifier log with the poisoned call's two lines replaced by libbpf's explanation. */
  readonly log: string[];
  readonly relocation: ProgramCoreRelocation;
  /** `file.c:42` and the code, from the verifier's own "; <code> @ file.c:42" annotation, when it printed one. */
  readonly source: string | undefined;
  readonly code: string | undefined;
}

/**
 * Explains a refused load whose log ends in a reached poisoned CO-RE relocation (libbpf's fixup_verifier_log):
 * undefined when the log ends otherwise or names an instruction without a poisoned relocation.
 */
export function explainCoreFailure(
  log: readonly string[],
  relocations: readonly ProgramCoreRelocation[],
): CoreLoadFailure | undefined {
  const poisoned = relocations.filter((r) => r.poisoned);
  if (poisoned.length === 0 || log.length === 0) return undefined;
  const text = `${log.join("\n")}\n`;
  const failed = findFailedCoreRelocation(text, poisoned);
  if (failed === undefined) return undefined;
  const relocation = poisoned.find((r) => r.insnIndex === failed.relocation.insnIndex)!;
  // No `source` on the relocations: the rewritten lines stay exactly libbpf's (the verifier already printed the
  // C line just above them when line_info was loaded).
  const fixed = fixupVerifierLog(text, { relocations: poisoned });
  const lines = fixed.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return { log: lines, relocation, source: failed.source, code: failed.code };
}
