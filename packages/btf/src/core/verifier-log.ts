// Making verifier failures caused by CO-RE readable (libbpf's fixup_verifier_log). A relocation that could not be
// satisfied leaves `call 0xbad2310` in the program; if the verifier reaches it, the log ends with
//     123: (85) call unknown#195896080
//     invalid func unknown#195896080
// and we replace those two lines with the relocation that failed (spec + source line when known). The same is done
// for libbpf's poisoned map loads (`call unknown#2001000000+map index`), for which the loader supplies map names.

import { CORE_POISON_IMM } from "./patch.js";

/** A CO-RE relocation as the program is finally loaded (after subprograms are appended). */
export interface LoadedCoreRelocation {
  /** Instruction index in the final program. */
  readonly insnIndex: number;
  /** Formatted local spec (AppliedRelocation.localSpec). */
  readonly localSpec: string;
  /** Source position of the instruction, when line info is known: "file.c:42" or the source text. */
  readonly source?: string;
}

export interface VerifierLogContext {
  readonly relocations: readonly LoadedCoreRelocation[];
  /** Name of the map with that index in the object, for libbpf-style poisoned map loads (2001000000 + index). */
  readonly mapName?: (mapIndex: number) => string | undefined;
}

/** libbpf's MAP_LDIMM64_POISON_BASE. */
export const MAP_POISON_BASE = 2001000000;
/** libbpf's log scan window: only the last lines are searched. */
const MAX_LAST_LINES = 10;

/** The explanation libbpf prints for a poisoned instruction (two lines, no trailing newline). */
export function explainPoisonedInstruction(relocation: LoadedCoreRelocation): string {
  const spec = relocation.localSpec.length > 255 ? `${relocation.localSpec.slice(0, 255)}...` : relocation.localSpec;
  const source = relocation.source ? ` at ${relocation.source}` : "";
  return `${relocation.insnIndex}: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation ${spec}${source}`;
}

/** Splits keeping line terminators, so the log can be rebuilt byte for byte. */
function splitLines(log: string): string[] {
  const lines = log.match(/[^\n]*\n|[^\n]+$/g);
  return lines ?? [];
}

/**
 * Rewrites the tail of a verifier log when it ends in a reached CO-RE poison (or poisoned map load). Returns the log
 * unchanged when there is nothing to explain.
 */
export function fixupVerifierLog(log: string, context: VerifierLogContext): string {
  const lines = splitLines(log);
  const first = Math.max(1, lines.length - MAX_LAST_LINES);
  for (let i = lines.length - 1; i >= first; i--) {
    const line = lines[i]!;
    if (line.startsWith(`invalid func unknown#${CORE_POISON_IMM}\n`)) {
      const match = /^(\d+): \(\d+\) call unknown#195896080\n/.exec(lines[i - 1]!);
      if (!match) return log;
      const insnIndex = Number(match[1]);
      const relocation = context.relocations.find((r) => r.insnIndex === insnIndex);
      if (!relocation) return log;
      const patch = `${explainPoisonedInstruction(relocation)}\n`;
      return [...lines.slice(0, i - 1), patch, ...lines.slice(i + 1)].join("");
    }
    if (line.startsWith("invalid func unknown#200100")) {
      const match = /^(\d+): \(\d+\) call unknown#(\d+)\n/.exec(lines[i - 1]!);
      if (!match) return log;
      const mapIndex = Number(match[2]) - MAP_POISON_BASE;
      const name = mapIndex >= 0 ? context.mapName?.(mapIndex) : undefined;
      if (name === undefined) return log;
      const patch = `${match[1]}: <invalid BPF map reference>\nBPF map '${name}' is referenced but wasn't created\n`;
      return [...lines.slice(0, i - 1), patch, ...lines.slice(i + 1)].join("");
    }
  }
  return log;
}

/** The failed CO-RE relocation a verifier log ends with, and the source line the verifier printed before it. */
export interface FailedCoreRelocation {
  readonly relocation: LoadedCoreRelocation;
  /** `file.c:42` from the verifier's "; <code> @ file.c:42" annotation (present when line info was loaded). */
  readonly source: string | undefined;
  /** The source code text of that line, as the verifier printed it. */
  readonly code: string | undefined;
}

/**
 * Finds which relocation a failed load tripped over (the poisoned call in the last lines of the log), for error
 * summaries such as "CO-RE relocation <byte_off> [21] struct task_struct.pid (0:92 @ offset 1264) failed at
 * prog.bpf.c:42". Undefined when the log does not end in a reached CO-RE poison.
 */
export function findFailedCoreRelocation(
  log: string,
  relocations: readonly LoadedCoreRelocation[],
): FailedCoreRelocation | undefined {
  const lines = splitLines(log);
  const first = Math.max(1, lines.length - MAX_LAST_LINES);
  for (let i = lines.length - 1; i >= first; i--) {
    if (!lines[i]!.startsWith(`invalid func unknown#${CORE_POISON_IMM}\n`)) continue;
    const match = /^(\d+): \(\d+\) call unknown#195896080\n/.exec(lines[i - 1]!);
    if (!match) return undefined;
    const insnIndex = Number(match[1]);
    const relocation = relocations.find((r) => r.insnIndex === insnIndex);
    if (!relocation) return undefined;
    // The verifier prints "; <source text> @ <file>:<line>" before the first instruction of each source line.
    for (let j = i - 2; j >= 0; j--) {
      const annotation = /^; (.*) @ ([^ ]+:\d+)\n?$/.exec(lines[j]!);
      if (annotation) return { relocation, source: annotation[2], code: annotation[1] };
      if (/^\d+: \(/.test(lines[j]!)) break;
    }
    return { relocation, source: relocation.source, code: undefined };
  }
  return undefined;
}
