// One human-readable line per applied relocation: what the program asked for, what it got in the target, and
// what changed in the instruction. The libbpf-style debug lines are in RelocateCoreResult.trace; this is the short
// form for users (e.g. `bpfkit prog load --trace-core`).

import type { AppliedRelocation } from "./relocate.js";

/** Drops the `<kind> ` prefix of a formatted spec. */
function bare(spec: string): string {
  return spec.replace(/^<[^>]*> /, "");
}

export function describeRelocation(r: AppliedRelocation): string {
  const head = `${r.program} relo #${r.reloIndex} insn #${r.insnIndex} ${r.kindName}: ${bare(r.localSpec)}`;
  const target = r.targetSpec === undefined ? "no match" : `${bare(r.targetSpec)} in ${r.targetBtf}`;
  const change = r.poisoned ? "poisoned" : `${r.oldValue} -> ${r.newValue}`;
  return `${head} => ${target}: ${change}`;
}
