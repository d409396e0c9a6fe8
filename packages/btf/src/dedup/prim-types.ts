// Pass 2: types that reference no other type (INT, ENUM/ENUM64, FWD, FLOAT) are deduplicated by hash and
// exact equality. An enum forward declaration (vlen 0) merges into a full enum of the same name, whichever
// comes first.

import { KIND_NAMES, Kind } from "../kinds.js";
import { NO_ENTRY } from "./candidate-table.js";
import {
  compatEnum,
  equalCommon,
  equalEnum,
  equalIntOrDeclTag,
  hashCommon,
  hashEnum,
  hashIntOrDeclTag,
  isEnumFwd,
} from "./compare.js";
import { BtfDedupError } from "./errors.js";
import type { DedupState } from "./state.js";

function dedupPrimType(state: DedupState, id: number): void {
  const w = state.words;
  const t = state.at(id);
  const kind = state.kind(id);
  let canonical = id;
  let hash: number;
  switch (kind) {
    case Kind.INT: {
      hash = hashIntOrDeclTag(w, t);
      for (let e = state.table.first(hash); e !== NO_ENTRY; e = state.table.next(e)) {
        const cand = state.table.typeId(e);
        if (equalIntOrDeclTag(w, t, state.at(cand))) {
          canonical = cand;
          break;
        }
      }
      break;
    }
    case Kind.ENUM:
    case Kind.ENUM64: {
      hash = hashEnum(w, t);
      for (let e = state.table.first(hash); e !== NO_ENTRY; e = state.table.next(e)) {
        const cand = state.table.typeId(e);
        const c = state.at(cand);
        if (equalEnum(w, t, c)) {
          canonical = cand;
          break;
        }
        if (compatEnum(w, t, c)) {
          if (isEnumFwd(w, t)) {
            canonical = cand;
            break;
          }
          // A canonical enum forward declaration gives way to this full definition.
          state.map[cand] = id;
        }
      }
      break;
    }
    case Kind.FWD:
    case Kind.FLOAT: {
      hash = hashCommon(w, t);
      for (let e = state.table.first(hash); e !== NO_ENTRY; e = state.table.next(e)) {
        const cand = state.table.typeId(e);
        if (equalCommon(w, t, state.at(cand))) {
          canonical = cand;
          break;
        }
      }
      break;
    }
    default:
      if (kind > Kind.ENUM64 || kind === 0) {
        throw new BtfDedupError("UNKNOWN_KIND", `unexpected kind ${KIND_NAMES[kind] ?? kind}`, {
          section: ".BTF",
          typeId: id,
        });
      }
      return; // not a primitive: handled by the struct or reference pass
  }
  state.map[id] = canonical;
  if (canonical === id) state.table.add(hash, id);
}

export function dedupPrimTypes(state: DedupState): void {
  for (let id = state.startId; id < state.typeCount; id++) dedupPrimType(state, id);
}
