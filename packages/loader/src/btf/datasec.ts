// DATASEC entries of the object's BTF as plain records: what the open-time fixups sort and rewrite, and what
// BTF-defined maps, global data maps and their variables are laid out from.

import type { Btf } from "@bpfkit/btf";

/** One `btf_var_secinfo`: a VAR (or, in `.ksyms`, a FUNC) and where it lies in the section. */
export interface DatasecEntry {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

/** The entries of DATASEC `id`, in BTF order. */
export function datasecEntries(btf: Btf, id: number): DatasecEntry[] {
  const out: DatasecEntry[] = [];
  for (let i = 0, n = btf.vlen(id); i < n; i++) {
    out.push({ type: btf.datasecVarType(id, i), offset: btf.datasecVarOffset(id, i), size: btf.datasecVarSize(id, i) });
  }
  return out;
}
