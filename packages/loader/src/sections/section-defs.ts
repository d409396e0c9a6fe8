// SEC() name → program type, the way libbpf's find_sec_def() does it: walk the table in order, the first entry
// that matches wins. A pattern ending in '/' needs that prefix; one ending in '+' matches the bare name or the
// name followed by '/...'; anything else matches exactly. There is no sloppy prefix matching (libbpf >= 1.0).

import { SECTION_DEF_ROWS, SecFlag } from "./section-defs.generated.js";

export { SecFlag };

/** Which table to match against: libbpf 1.1 (what bpftool 7.1 accepts) or libbpf HEAD (adds tcx/, netkit/ ...). */
export type SectionTable = "1.1" | "head";

export interface SectionDef {
  /** The table pattern, e.g. `kprobe+`, `xdp.frags/devmap`. */
  readonly pattern: string;
  readonly progType: number;
  /** UAPI name without the BPF_PROG_TYPE_ prefix, e.g. `SCHED_CLS`. */
  readonly progTypeName: string;
  /** Expected attach type; 0 with an empty name means "none" (libbpf stores 0 too). */
  readonly attachType: number;
  readonly attachTypeName: string;
  /** SEC_* flags (SecFlag). */
  readonly flags: number;
  readonly since: "1.1" | "head";
}

const DEFS: readonly SectionDef[] = SECTION_DEF_ROWS.map(
  ([pattern, progType, progTypeName, attachType, attachTypeName, flags, since]) => ({
    pattern,
    progType,
    progTypeName,
    attachType,
    attachTypeName,
    flags,
    since,
  }),
);

/** Every entry, in matching order. */
export function sectionDefs(table: SectionTable = "head"): readonly SectionDef[] {
  return table === "head" ? DEFS : DEFS.filter((d) => d.since === "1.1");
}

/** libbpf's sec_def_matches(). */
export function sectionDefMatches(pattern: string, name: string): boolean {
  const last = pattern[pattern.length - 1];
  if (last === "/") return name.startsWith(pattern);
  if (last === "+") {
    const stem = pattern.slice(0, -1);
    if (!name.startsWith(stem)) return false;
    return name.length === stem.length || name[stem.length] === "/";
  }
  return name === pattern;
}

// Objects reuse a handful of section names; the table walk is memoised per table (bounded, it is a cache).
const memo: Record<SectionTable, Map<string, SectionDef | undefined>> = { "1.1": new Map(), head: new Map() };

/** The matching table entry for a section name (without libbpf's leading '?'), or undefined. */
export function findSectionDef(name: string, table: SectionTable = "head"): SectionDef | undefined {
  const cache = memo[table];
  if (cache.has(name)) return cache.get(name);
  let found: SectionDef | undefined;
  for (const def of DEFS) {
    if (table === "1.1" && def.since !== "1.1") continue;
    if (sectionDefMatches(def.pattern, name)) {
      found = def;
      break;
    }
  }
  if (cache.size > 4096) cache.clear();
  cache.set(name, found);
  return found;
}
