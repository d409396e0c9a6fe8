// Per-kind type counts of a raw BTF blob: the figure the issue asks to match against libbpf.
import { KIND_NAMES } from "../kinds.js";
import { kindOf } from "./kinds.js";
import { parseRawBtf } from "./raw-btf.js";

/** Counts types by kind name ("INT", "STRUCT", ...) in a raw BTF blob. Split BTF: pass the base's shape. */
export function countKindsRaw(
  btf: Uint8Array,
  base?: { readonly typeIdCount: number; readonly stringLength: number },
): Record<string, number> {
  const raw = parseRawBtf(btf, base);
  const counts: Record<string, number> = {};
  for (const at of raw.typeStarts) {
    const name = KIND_NAMES[kindOf(raw.words[at + 1] as number)] as string;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}
