// Graph equivalence of a candidate type and a (possibly) canonical type, used to dedup STRUCT/UNION.
//
// Both graphs are walked side by side, depth first. Each canonical-side id visited is recorded in the
// hypothetical map as corresponding to the candidate-side id; meeting a canonical id again with a different
// candidate is a contradiction (not equivalent), meeting it with the same one closes a cycle (fine). A FWD on
// either side may stand for a STRUCT/UNION of the same name and kind. The walk is iterative with an explicit
// stack: the check has no work after its children, so pre-order with early exit visits pairs in the same order
// as a recursive walk, without a call-stack limit on deep type graphs.

import { KIND_NAMES, Kind, kindFlagOf, vlenOf } from "../kinds.js";
import {
  compatArray,
  compatEnum,
  compatFuncProto,
  equalArray,
  equalCommon,
  equalIntOrDeclTag,
  shallowEqualStruct,
} from "./compare.js";
import { BtfDedupError } from "./errors.js";
import { type DedupState, MAX_TYPE_ID } from "./state.js";

/** Nesting limit for identical-struct checks; C types cannot embed themselves, so real BTF stays far below. */
const MAX_NESTING = 4096;

export function identicalArrays(state: DedupState, a: number, b: number): boolean {
  if (state.kind(a) !== Kind.ARRAY || state.kind(b) !== Kind.ARRAY) return false;
  return equalArray(state.words, state.at(a), state.at(b));
}

/** Same STRUCT/UNION down to member type ids (or identical arrays/structs there). */
export function identicalStructs(state: DedupState, a: number, b: number, depth = 0): boolean {
  const kind = state.kind(a);
  if ((kind !== Kind.STRUCT && kind !== Kind.UNION) || kind !== state.kind(b)) return false;
  const w = state.words;
  const ta = state.at(a);
  const tb = state.at(b);
  if (!shallowEqualStruct(w, ta, tb)) return false;
  if (depth > MAX_NESTING) throw new BtfDedupError("CYCLE", "struct nesting too deep", { section: ".BTF", typeId: a });
  const vlen = vlenOf(w[ta + 1] as number);
  for (let i = 0, ma = ta + 4, mb = tb + 4; i < vlen; i++, ma += 3, mb += 3) {
    const x = w[ma] as number;
    const y = w[mb] as number;
    if (x !== y && !identicalArrays(state, x, y) && !identicalStructs(state, x, y, depth + 1)) return false;
  }
  return true;
}

const fwdKind = (info: number): number => (kindFlagOf(info) ? Kind.UNION : Kind.STRUCT);

/** Outcome of comparing one pair: not equivalent, equivalent with nothing more to check, or children to check. */
const NOT_EQUIVALENT = 0;
const EQUIVALENT = 1;
const CHECK_CHILDREN = 2;

/** Words per frame of the walk: candidate record, canonical record, kind, next child, child count. */
const FRAME = 5;

/**
 * True if the candidate graph rooted at `candRoot` is equivalent to the one rooted at `canonRoot`.
 * Each frame of the explicit stack is a pair whose children are being checked one at a time, so a mismatch in
 * the first member of a large struct ends the walk without touching the others.
 */
export function isEquivalent(
  state: DedupState,
  candRoot: number,
  canonRoot: number,
  /**
   * The struct pass's guarantee: candRoot is an unmapped STRUCT/UNION, canonRoot a canonical one that is
   * shallow-equal to it, and the hypothetical map is empty; so the first comparison would just record the pair
   * and ask for the members, and is skipped.
   */
  rootsShallowEqual = false,
): boolean {
  const w = state.words;
  let frames = state.equivFrames;
  let top = 0;
  let cand = candRoot;
  let canon = canonRoot;
  let outcome = -1;
  if (rootsShallowEqual) {
    state.hypotAdd(canonRoot, candRoot);
    pairCand = state.at(candRoot);
    pairCanon = state.at(canonRoot);
    outcome = CHECK_CHILDREN;
  }
  for (;;) {
    if (outcome < 0) outcome = comparePair(state, cand, canon);
    if (outcome === NOT_EQUIVALENT) return false;
    if (outcome === CHECK_CHILDREN) {
      if (top + FRAME > frames.length) {
        const bigger = new Int32Array(frames.length * 2);
        bigger.set(frames);
        frames = bigger;
        state.equivFrames = bigger;
      }
      const c = pairCand;
      const k = pairCanon;
      const kind = state.kinds[cand] as number;
      const vlen = vlenOf(w[c + 1] as number);
      frames[top] = c;
      frames[top + 1] = k;
      frames[top + 2] = kind;
      frames[top + 3] = 0;
      frames[top + 4] =
        kind === Kind.STRUCT || kind === Kind.UNION
          ? vlen
          : kind === Kind.FUNC_PROTO
            ? vlen + 1
            : kind === Kind.ARRAY
              ? 2
              : 1;
      top += FRAME;
    }
    outcome = -1;
    // Next pair: the next unchecked child of the innermost frame that has one.
    for (;;) {
      if (top === 0) return true;
      const f = top - FRAME;
      const i = frames[f + 3] as number;
      if (i === frames[f + 4]) {
        top = f;
        continue;
      }
      frames[f + 3] = i + 1;
      const c = frames[f] as number;
      const k = frames[f + 1] as number;
      let word: number;
      switch (frames[f + 2]) {
        case Kind.STRUCT:
        case Kind.UNION:
          word = 4 + 3 * i;
          break;
        case Kind.FUNC_PROTO:
          word = i === 0 ? 2 : 4 + 2 * (i - 1);
          break;
        case Kind.ARRAY:
          word = i === 0 ? 4 : 3; // index type first, then element type
          break;
        default:
          word = 2;
      }
      cand = w[c + word] as number;
      canon = w[k + word] as number;
      break;
    }
  }
}

/** Records of the last pair comparePair asked to descend into (candidate, and canonical after FWD resolution). */
let pairCand = 0;
let pairCanon = 0;

/** One step of btf_dedup_is_equiv for a pair, without descending into children. */
function comparePair(state: DedupState, candId: number, canonIdIn: number): number {
  const w = state.words;
  const map = state.map;
  // Both ids are usually canonical or unprocessed: check that before following map chains.
  const candMapped = map[candId] as number;
  const canonMapped = map[canonIdIn] as number;
  const candFinal = candMapped === candId || candMapped > MAX_TYPE_ID ? candId : state.resolve(candId);
  const canonFinal = canonMapped === canonIdIn || canonMapped > MAX_TYPE_ID ? canonIdIn : state.resolve(canonIdIn);
  if (candFinal === canonFinal) return EQUIVALENT;
  const canonId = state.kinds[canonIdIn] === Kind.FWD ? state.resolveFwd(canonIdIn) : canonIdIn;

  const hypot = state.hypotMap[canonId] as number;
  if (hypot <= MAX_TYPE_ID) {
    if (hypot === candId || identicalArrays(state, hypot, candId) || identicalStructs(state, hypot, candId)) {
      return EQUIVALENT;
    }
    return NOT_EQUIVALENT;
  }
  state.hypotAdd(canonId, candId);

  const cand = state.at(candId);
  const canon = state.at(canonId);
  if (w[cand] !== w[canon]) return NOT_EQUIVALENT;
  pairCand = cand;
  pairCanon = canon;
  const candInfo = w[cand + 1] as number;
  const canonInfo = w[canon + 1] as number;
  const candKind = state.kind(candId);
  const canonKind = state.kind(canonId);

  if ((candKind === Kind.FWD || canonKind === Kind.FWD) && candKind !== canonKind) {
    let realKind: number;
    let declaredKind: number;
    if (candKind === Kind.FWD) {
      realKind = canonKind;
      declaredKind = fwdKind(candInfo);
    } else {
      realKind = candKind;
      declaredKind = fwdKind(canonInfo);
      // Equivalence would need a base FWD resolved, and base BTF is immutable.
      if (declaredKind === realKind && canonId < state.startId) state.hypotAdjustCanon = true;
    }
    return declaredKind === realKind ? EQUIVALENT : NOT_EQUIVALENT;
  }
  if (candKind !== canonKind) return NOT_EQUIVALENT;

  switch (candKind) {
    case Kind.INT:
      return equalIntOrDeclTag(w, cand, canon) ? EQUIVALENT : NOT_EQUIVALENT;
    case Kind.ENUM:
    case Kind.ENUM64:
      return compatEnum(w, cand, canon) ? EQUIVALENT : NOT_EQUIVALENT;
    case Kind.FWD:
    case Kind.FLOAT:
      return equalCommon(w, cand, canon) ? EQUIVALENT : NOT_EQUIVALENT;
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT:
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.FUNC:
    case Kind.TYPE_TAG:
      return candInfo === canonInfo ? CHECK_CHILDREN : NOT_EQUIVALENT;
    case Kind.ARRAY:
      return compatArray(w, cand, canon) ? CHECK_CHILDREN : NOT_EQUIVALENT;
    case Kind.STRUCT:
    case Kind.UNION:
      return shallowEqualStruct(w, cand, canon) ? CHECK_CHILDREN : NOT_EQUIVALENT;
    case Kind.FUNC_PROTO:
      return compatFuncProto(w, cand, canon) ? CHECK_CHILDREN : NOT_EQUIVALENT;
    default:
      throw new BtfDedupError("BAD_TYPE_ID", `${KIND_NAMES[candKind]} cannot appear inside a struct/union type graph`, {
        section: ".BTF",
        typeId: candId,
      });
  }
}
