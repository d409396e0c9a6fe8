// A program or BTF the kernel refused, with the whole verifier log and what we could work out from it.
import type { InsnSourceLine } from "@bpfkit/loader";
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

/** The line_info entry covering `insnIndex`: the last one that starts at or before it. */
export function sourceLineFor(
  lines: readonly InsnSourceLine[] | undefined,
  insnIndex: number | undefined,
): InsnSourceLine | undefined {
  if (lines === undefined || insnIndex === undefined) return undefined;
  let best: InsnSourceLine | undefined;
  for (const line of lines) {
    if (line.insnIndex <= insnIndex && (best === undefined || line.insnIndex >= best.insnIndex)) best = line;
  }
  return best;
}

/** The last `count` lines that carry information (no trailing statistics), plus how many were left out. */
export function summarizeLog(log: readonly string[], count = 2): { lines: string[]; omitted: number } {
  let end = log.length;
  while (end > 0 && STATISTICS.some((re) => re.test((log[end - 1] ?? "").trim()))) end--;
  const start = Math.max(0, end - count);
  return { lines: log.slice(start, end).map((l) => l.trim()), omitted: log.length - (end - start) };
}

function formatSource(line: InsnSourceLine): string {
  const where = `${line.file ?? "?"}:${line.line}${line.column > 0 ? `:${line.column}` : ""}`;
  return line.text ? `${where}: ${line.text.trim()}` : where;
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
}

/**
 * The verifier (or the BTF checker) refused the input. `message` is a summary: the last informative log lines,
 * "(N lines omitted)", the failing instruction and its C source line; `log` has everything.
 */
export class VerifierError extends BpfSyscallError {
  override readonly name = "VerifierError";
  /** The whole log, one entry per line. */
  readonly log: readonly string[];
  /** Instruction the verifier stopped at, when the log names one. */
  readonly insnIndex: number | undefined;
  /** C source of that instruction, from line_info, when given. */
  readonly sourceLine: InsnSourceLine | undefined;
  readonly truncated: boolean;
  readonly objectName: string | undefined;

  constructor(init: VerifierErrorInit) {
    const insnIndex = failingInsnIndex(init.log);
    const sourceLine = sourceLineFor(init.sourceLines, insnIndex);
    const summary = summarizeLog(init.log);
    const parts: string[] = [];
    if (summary.lines.length > 0) parts.push(summary.lines.join(" / "));
    else parts.push("no verifier log");
    if (summary.omitted > 0) parts.push(`(${summary.omitted} line${summary.omitted === 1 ? "" : "s"} omitted)`);
    if (insnIndex !== undefined) parts.push(`at insn ${insnIndex}`);
    if (sourceLine !== undefined) parts.push(`[${formatSource(sourceLine)}]`);
    if (init.truncated) parts.push("(log truncated)");
    super(init.command, init.errno, init.code, init.objectName ? `"${init.objectName}"` : "", parts.join(" "));
    this.log = init.log;
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
