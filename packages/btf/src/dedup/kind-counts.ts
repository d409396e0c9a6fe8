// Per-kind type counts of a raw BTF blob: the figure the dedup tests match against libbpf.
import { Btf } from "../btf.js";
import { KIND_NAMES, kindOf } from "../kinds.js";

/** Counts this blob's types by kind name ("INT", "STRUCT", ...); for split BTF pass the parsed base. */
export function countKindsRaw(btf: Uint8Array, base?: Btf): Record<string, number> {
  const parsed = Btf.parse(btf, base ? { base } : {});
  const counts: Record<string, number> = {};
  for (const at of parsed.starts) {
    const name = KIND_NAMES[kindOf(parsed.words[at + 1] as number)] as string;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}
