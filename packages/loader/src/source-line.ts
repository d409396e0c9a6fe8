// Naming the C line of an instruction from decoded line_info: used by the kernel backend for verifier refusals
// and by the VM for faults at run time.

import type { InsnSourceLine } from "./backend.js";

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

/** `file:line[:column]: text`, as error messages show a source line. */
export function formatSourceLine(line: InsnSourceLine): string {
  const where = `${line.file ?? "?"}:${line.line}${line.column > 0 ? `:${line.column}` : ""}`;
  return line.text ? `${where}: ${line.text.trim()}` : where;
}
