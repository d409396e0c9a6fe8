// Why each global symbol ended up as it did: which input's definition won and by which rule. No other linker
// reports this; it answers "which of my __weak definitions is in the output?" without reading ELF dumps.

import { Kind } from "@bpfkit/btf";
import { STB_LOCAL, STB_WEAK, STT_FUNC, STT_OBJECT } from "@bpfkit/elf";
import type { GlobalSymbol, LinkState, SymbolOccurrence } from "./state.js";

export interface SymbolResolution {
  readonly name: string;
  readonly kind: "function" | "variable" | "map";
  /** Output section, when it has one. */
  readonly section: string | undefined;
  /** The input whose definition is in the output; undefined for an unresolved extern. */
  readonly winner: string | undefined;
  /** Binding in the output: global, weak, or local (a hidden symbol). */
  readonly binding: "global" | "weak" | "local";
  /** The rule that decided, in words. */
  readonly reason: string;
  /** Every input that mentioned the symbol, in link order. */
  readonly occurrences: readonly SymbolOccurrence[];
}

function kindOf(glob: GlobalSymbol): SymbolResolution["kind"] {
  if (glob.section?.name === ".maps") return "map";
  if (glob.symbol.type === STT_FUNC) return "function";
  if (glob.symbol.type === STT_OBJECT) return "variable";
  const { input, id } = glob.typeSource;
  return input.btf?.kind(id) === Kind.FUNC ? "function" : "variable";
}

const list = (names: readonly string[]) => names.map((n) => `'${n}'`).join(", ");

function reasonFor(glob: GlobalSymbol): string {
  const by = (role: SymbolOccurrence["role"]) => glob.occurrences.filter((o) => o.role === role).map((o) => o.input);
  const externs = by("extern");
  const weak = by("weak");
  const strong = by("strong");
  if (!glob.definedIn) {
    return `unresolved extern (declared in ${list(externs)}): left for load time (kfunc, ksym, kconfig) or a later link`;
  }
  const parts: string[] = [];
  if (strong.length > 0) {
    parts.push(
      weak.length > 0
        ? `strong definition in '${glob.definedIn}' beats weak definition${weak.length > 1 ? "s" : ""} in ${list(weak)}`
        : `only definition, in '${glob.definedIn}'`,
    );
  } else if (weak.length > 1) {
    const losers = weak.filter((w) => w !== glob.definedIn);
    parts.push(`first weak definition, in '${glob.definedIn}', wins over later weak ones in ${list(losers)}`);
  } else {
    parts.push(`only definition (weak), in '${glob.definedIn}'`);
  }
  if (externs.length > 0) parts.push(`extern in ${list(externs)} resolved to it`);
  const hidden = glob.occurrences.filter((o) => o.hidden).map((o) => o.input);
  if (hidden.length > 0) parts.push(`hidden in ${list(hidden)}, so local in the output`);
  return parts.join("; ");
}

export function explainSymbols(state: LinkState): SymbolResolution[] {
  return [...state.globals.values()].map((glob) => ({
    name: glob.name,
    kind: kindOf(glob),
    section: glob.section?.name,
    winner: glob.definedIn,
    binding: glob.symbol.binding === STB_LOCAL ? "local" : glob.symbol.binding === STB_WEAK ? "weak" : "global",
    reason: reasonFor(glob),
    occurrences: [...glob.occurrences],
  }));
}

/** One line per symbol, for `gen object --explain`. */
export function formatExplanation(resolutions: readonly SymbolResolution[]): string {
  return resolutions.map((r) => `${r.kind} '${r.name}'${r.section ? ` (${r.section})` : ""}: ${r.reason}`).join("\n");
}
