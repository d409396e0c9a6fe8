// Pass 5: reference types (PTR, TYPEDEF, modifiers, FUNC, TYPE_TAG, DECL_TAG, ARRAY, FUNC_PROTO). Their
// referenced ids are first rewritten to canonical ids (depth first, so a chain settles from its end), which
// makes them stable; then they are deduplicated by hash and exact equality, referenced ids included.

import { KIND_NAMES, Kind, vlenOf } from "../kinds.js";
import { NO_ENTRY } from "./candidate-table.js";
import {
  equalArray,
  equalCommon,
  equalFuncProto,
  equalIntOrDeclTag,
  hashArray,
  hashCommon,
  hashFuncProto,
  hashIntOrDeclTag,
} from "./compare.js";
import { BtfDedupError } from "./errors.js";
import { type DedupState, IN_PROGRESS, MAX_TYPE_ID } from "./state.js";

/** Reference chains in C are short (the kernel caps modifier chains at 32); deeper means broken input. */
const MAX_CHAIN = 4096;

function firstMatch(
  state: DedupState,
  hash: number,
  t: number,
  equal: (w: Uint32Array, a: number, b: number) => boolean,
): number {
  const table = state.table;
  for (let e = table.first(hash); e !== NO_ENTRY; e = table.next(e)) {
    const cand = table.typeId(e);
    if (equal(state.words, t, state.at(cand))) return cand;
  }
  return -1;
}

function dedupRefType(state: DedupState, id: number, depth: number): number {
  const mapped = state.map[id] as number;
  if (mapped === IN_PROGRESS) {
    throw new BtfDedupError("CYCLE", "reference types form a loop without a struct/union", {
      section: ".BTF",
      typeId: id,
    });
  }
  if (mapped <= MAX_TYPE_ID) return state.resolve(id);
  if (depth > MAX_CHAIN) throw new BtfDedupError("CYCLE", "reference chain too deep", { section: ".BTF", typeId: id });
  state.map[id] = IN_PROGRESS;

  const w = state.words;
  const t = state.at(id);
  const kind = state.kind(id);
  let hash: number;
  let match: number;
  switch (kind) {
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.FUNC:
    case Kind.TYPE_TAG:
      w[t + 2] = dedupRefType(state, w[t + 2] as number, depth + 1);
      hash = hashCommon(w, t);
      match = firstMatch(state, hash, t, equalCommon);
      break;
    case Kind.DECL_TAG:
      w[t + 2] = dedupRefType(state, w[t + 2] as number, depth + 1);
      hash = hashIntOrDeclTag(w, t);
      match = firstMatch(state, hash, t, equalIntOrDeclTag);
      break;
    case Kind.ARRAY:
      w[t + 3] = dedupRefType(state, w[t + 3] as number, depth + 1);
      w[t + 4] = dedupRefType(state, w[t + 4] as number, depth + 1);
      hash = hashArray(w, t);
      match = firstMatch(state, hash, t, equalArray);
      break;
    case Kind.FUNC_PROTO: {
      w[t + 2] = dedupRefType(state, w[t + 2] as number, depth + 1);
      const vlen = vlenOf(w[t + 1] as number);
      for (let i = 0, p = t + 4; i < vlen; i++, p += 2) w[p] = dedupRefType(state, w[p] as number, depth + 1);
      hash = hashFuncProto(w, t);
      match = firstMatch(state, hash, t, equalFuncProto);
      break;
    }
    default:
      throw new BtfDedupError("UNKNOWN_KIND", `unexpected ${KIND_NAMES[kind] ?? kind} in reference type pass`, {
        section: ".BTF",
        typeId: id,
      });
  }
  const canonical = match >= 0 ? match : id;
  state.map[id] = canonical;
  if (canonical === id) state.table.add(hash, id);
  return canonical;
}

export function dedupRefTypes(state: DedupState): void {
  for (let id = state.startId; id < state.typeCount; id++) dedupRefType(state, id, 0);
}
