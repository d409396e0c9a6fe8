// Pass 4: a FWD that no graph comparison resolved is mapped to the STRUCT/UNION of the same name and kind,
// provided exactly one canonical STRUCT/UNION (base included) has that name.
import { Kind, kindFlagOf } from "../kinds.js";
import type { DedupState } from "./state.js";

/** 0 marks a name shared by several canonical structs/unions. */
const AMBIGUOUS = 0;

export function resolveFwds(state: DedupState): void {
  const w = state.words;
  const byName = new Map<number, number>();
  for (let id = 1; id < state.typeCount; id++) {
    const kind = state.kind(id);
    if ((kind !== Kind.STRUCT && kind !== Kind.UNION) || state.map[id] !== id) continue;
    const name = w[state.at(id)] as number;
    byName.set(name, byName.has(name) ? AMBIGUOUS : id);
  }
  for (let id = state.startId; id < state.typeCount; id++) {
    if (state.kind(id) !== Kind.FWD || state.map[id] !== id) continue;
    const t = state.at(id);
    const target = byName.get(w[t] as number);
    if (target === undefined || target === AMBIGUOUS) continue;
    const wantUnion = kindFlagOf(w[t + 1] as number) === 1;
    if ((state.kind(target) === Kind.UNION) !== wantUnion) continue;
    state.map[id] = target;
  }
}
