// Pass 3: STRUCT/UNION dedup. Candidates come from a hash of name, size and member names/offsets; a candidate
// is taken when the two type graphs are equivalent. A successful check's hypothetical map is then used to
// record FWD -> STRUCT/UNION resolutions it proved, and to map structs met along the way early.

import { Kind } from "../kinds.js";
import { NO_ENTRY } from "./candidate-table.js";
import { hashStruct, shallowEqualStruct } from "./compare.js";
import { isEquivalent } from "./equivalence.js";
import type { DedupState } from "./state.js";

function mergeHypotheticalMap(state: DedupState): void {
  for (let i = 0; i < state.hypotCount; i++) {
    const canonId = state.hypotList[i] as number;
    const candId = state.hypotMap[canonId] as number;
    const t = state.resolve(candId);
    const c = state.resolve(canonId);
    const tKind = state.kind(t);
    const cKind = state.kind(c);
    // A canonical-side FWD points at the concrete type, even in base BTF, so split FWDs resolve through it.
    if (tKind !== Kind.FWD && cKind === Kind.FWD) state.map[c] = t;
    // When base types would have to change, the graphs only count as equivalent for that FWD link.
    if (state.hypotAdjustCanon) continue;
    if (tKind === Kind.FWD && cKind !== Kind.FWD) state.map[t] = c;
    if (
      (tKind === Kind.STRUCT || tKind === Kind.UNION) &&
      cKind !== Kind.FWD &&
      state.isMapped(c) &&
      !state.isMapped(t)
    ) {
      state.map[t] = c;
    }
  }
}

function dedupStructType(state: DedupState, id: number): void {
  if (state.isMapped(id)) return;
  const kind = state.kind(id);
  if (kind !== Kind.STRUCT && kind !== Kind.UNION) return;
  const w = state.words;
  const t = state.at(id);
  const hash = hashStruct(w, t);
  let canonical = id;
  for (let e = state.table.first(hash); e !== NO_ENTRY; e = state.table.next(e)) {
    const cand = state.table.typeId(e);
    // Also keeps a FWD that collides on the hash from being picked (which could make a FWD <-> STRUCT loop).
    if (!shallowEqualStruct(w, t, state.at(cand))) continue;
    state.clearHypot();
    if (!isEquivalent(state, id, cand, true)) continue;
    mergeHypotheticalMap(state);
    if (state.hypotAdjustCanon) continue;
    canonical = cand;
    break;
  }
  state.map[id] = canonical;
  if (canonical === id) state.table.add(hash, id);
}

export function dedupStructTypes(state: DedupState): void {
  for (let id = state.startId; id < state.typeCount; id++) dedupStructType(state, id);
}
