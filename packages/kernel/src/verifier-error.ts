// A program or BTF the kernel refused, with the whole verifier log and what we could work out from it. When the
// verifier stopped at a poisoned CO-RE relocation, the loader's pure explainCoreFailure rewrites the log (libbpf's
// wording) and names the relocation; this class only carries the result.
import {
  type CoreLoadFailure,
  explainCoreFailure,
  formatSourceLine,
  type InsnSourceLine,
  type ProgramCoreRelocation,
  sourceLineFor,
} from "@bpfkit/loader";
import { BpfSyscallError } from "./errors.js";

/** Lines the verifier prints after the error that say nothing about it. */
const STATISTICS = [
  /^processed \d+ insns/,
  /^verification time/,
  /^stack depth/,
  /^max_states_per_insn/,
  /^peak_states/,
  /^mark_read/,
  /^-- END PROG LOAD LOG --/,
  /^$/,
];

/** An instruction line of the log: "12: (85) call bpf_map_lookup_elem#1". */
const INSN_LINE = /^(\d+): \([0-9a-f]{2}\)/;

/** Splits a kernel log buffer (NUL-terminated UTF-8) into lines. */
export function splitLog(buffer: Uint8Array): string[] {
  const end = buffer.indexOf(0);
  const text = new TextDecoder().decode(end < 0 ? buffer : buffer.subarray(0, end));
  const lines = text.split("\n");
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === "") lines.pop();
  return lines;
}

/** Index of the instruction the verifier was looking at when it gave up (the last instruction line). */
export function failingInsnIndex(log: readonly string[]): number | undefined {
  for (let i = log.length - 1; i >= 0; i--) {
    const match = INSN_LINE.exec(log[i] ?? "");
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** The last `count` lines that carry information (no trailing statistics), plus how many were left out. */
export function summarizeLog(log: readonly string[], count = 2): { lines: string[]; omitted: number } {
  let end = log.length;
  while (end > 0 && STATISTICS.some((re) => re.test((log[end - 1] ?? "").trim()))) end--;
  const start = Math.max(0, end - count);
  return { lines: log.slice(start, end).map((l) => l.trim()), omitted: log.length - (end - start) };
}

export interface VerifierErrorInit {
  readonly command: string;
  readonly errno: number;
  readonly code: string;
  /** Program or BTF name, for the message. */
  readonly objectName?: string;
  readonly log: readonly string[];
  /** True when the log did not fit even in the largest buffer we tried. */
  readonly truncated?: boolean;
  readonly sourceLines?: readonly InsnSourceLine[];
  /** The program's CO-RE relocations (final instruction indices), to explain a reached poisoned one. */
  readonly coreRelocations?: readonly ProgramCoreRelocation[];
}

/** "failed to resolve CO-RE relocation <byte_off> [354] struct s.len (0:0 @ offset 0) (relo #4 in 'tc'): why". */
function coreSummary(core: CoreLoadFailure): string {
  const r = core.relocation;
  const where = `relo #${r.reloIndex} in '${r.section}'${r.subprogram ? `, subprogram ${r.subprogram}` : ""}`;
  const why =
    r.targetSpec === undefined
      ? "nothing in the target BTF matches it"
      : `the instruction cannot be adjusted to the target's ${r.targetSpec}`;
  return `failed to resolve CO-RE relocation ${r.localSpec} (${where}): ${why}; the verifier reached the poisoned instruction`;
}

/**
 * The verifier (or the BTF checker) refused the input. `message` is a summary: the last informative log lines,
 * "(N lines omitted)", the failing instruction and its C source line; `log` has everything. A refusal at a
 * poisoned CO-RE relocation is summarized by that relocation instead (kind, type, access string, C line), and
 * `log` has libbpf's explanation in place of the invalid call (`rawLog` keeps the kernel's words).
 */
export class VerifierError extends BpfSyscallError {
  override readonly name = "VerifierError";
  /** The whole log, one entry per line (a reached poisoned CO-RE relocation explained as libbpf does). */
  readonly log: readonly string[];
  /** The log exactly as the kernel wrote it. */
  readonly rawLog: readonly string[];
  /** The CO-RE relocation that could not be satisfied and whose poisoned instruction the verifier reached. */
  readonly coreRelocation: ProgramCoreRelocation | undefined;
  /** Instruction the verifier stopped at, when the log names one. */
  readonly insnIndex: number | undefined;
  /** C source of that instruction, from line_info, when given. */
  readonly sourceLine: InsnSourceLine | undefined;
  readonly truncated: boolean;
  readonly objectName: string | undefined;

  constructor(init: VerifierErrorInit) {
    const core = init.coreRelocations ? explainCoreFailure(init.log, init.coreRelocations) : undefined;
    const insnIndex = core?.relocation.insnIndex ?? failingInsnIndex(init.log);
    const sourceLine = sourceLineFor(init.sourceLines, insnIndex);
    const parts: string[] = [];
    if (core !== undefined) {
      parts.push(coreSummary(core));
    } else {
      const summary = summarizeLog(init.log);
      if (summary.lines.length > 0) parts.push(summary.lines.join(" / "));
      else parts.push("no verifier log");
      if (summary.omitted > 0) parts.push(`(${summary.omitted} line${summary.omitted === 1 ? "" : "s"} omitted)`);
    }
    if (insnIndex !== undefined) parts.push(`at insn ${insnIndex}`);
    if (sourceLine !== undefined) parts.push(`[${formatSourceLine(sourceLine)}]`);
    else if (core?.source !== undefined) parts.push(`[${core.source}${core.code ? `: ${core.code.trim()}` : ""}]`);
    if (init.truncated) parts.push("(log truncated)");
    super(init.command, init.errno, init.code, init.objectName ? `"${init.objectName}"` : "", parts.join(" "));
    this.log = core?.log ?? init.log;
    this.rawLog = init.log;
    this.coreRelocation = core?.relocation;
    this.insnIndex = insnIndex;
    this.sourceLine = sourceLine;
    this.truncated = init.truncated ?? false;
    this.objectName = init.objectName;
  }

  /** The whole log as text. */
  get fullLog(): string {
    return this.log.join("\n");
  }
}
