// Graph equivalence of a candidate type and a (possibly) canonical type, used to dedup STRUCT/UNION.
//
// Both graphs are walked side by side, depth first. Each canonical-side id visited is recorded in the
// hypothetical map as corresponding to the candidate-side id; meeting a canonical id again with a different
// candidate is a contradiction (not equivalent), meeting it with the same one closes a cycle (fine). A FWD on
// either side may stand for a STRUCT/UNION of the same name and kind. The walk is iterative with an explicit
// stack: the check has no work after its children, so pre-order with early exit visits pairs in the same order
// as a recursive walk, without a call-stack limit on deep type graphs.
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
import {
  KIND_ARRAY,
  KIND_CONST,
  KIND_ENUM,
  KIND_ENUM64,
  KIND_FLOAT,
  KIND_FUNC,
  KIND_FUNC_PROTO,
  KIND_FWD,
  KIND_INT,
  KIND_NAMES,
  KIND_PTR,
  KIND_RESTRICT,
  KIND_STRUCT,
  KIND_TYPE_TAG,
  KIND_TYPEDEF,
  KIND_UNION,
  KIND_VOLATILE,
  kflagOf,
  vlenOf,
} from "./kinds.js";
import { type DedupState, MAX_TYPE_ID } from "./state.js";

/** Nesting limit for identical-struct checks; C types cannot embed themselves, so real BTF stays far below. */
const MAX_NESTING = 4096;

export function identicalArrays(state: DedupState, a: number, b: number): boolean {
  if (state.kind(a) !== KIND_ARRAY || state.kind(b) !== KIND_ARRAY) return false;
  return equalArray(state.words, state.at(a), state.at(b));
}

/** Same STRUCT/UNION down to member type ids (or identical arrays/structs there). */
export function identicalStructs(state: DedupState, a: number, b: number, depth = 0): boolean {
  const kind = state.kind(a);
  if ((kind !== KIND_STRUCT && kind !== KIND_UNION) || kind !== state.kind(b)) return false;
  const w = state.words;
  const ta = state.at(a);
  const tb = state.at(b);
  if (!shallowEqualStruct(w, ta, tb)) return false;
  if (depth > MAX_NESTING) throw new BtfDedupError("struct nesting too deep", { section: ".BTF", typeId: a });
  const vlen = vlenOf(w[ta + 1] as number);
  for (let i = 0, ma = ta + 4, mb = tb + 4; i < vlen; i++, ma += 3, mb += 3) {
    const x = w[ma] as number;
    const y = w[mb] as number;
    if (x !== y && !identicalArrays(state, x, y) && !identicalStructs(state, x, y, depth + 1)) return false;
  }
  return true;
}

const fwdKind = (info: number): number => (kflagOf(info) ? KIND_UNION : KIND_STRUCT);

/** True if the candidate graph rooted at `candRoot` is equivalent to the one rooted at `canonRoot`. */
export function isEquivalent(state: DedupState, candRoot: number, canonRoot: number): boolean {
  const w = state.words;
  const stack: number[] = [candRoot, canonRoot];
  while (stack.length > 0) {
    let canonId = stack.pop() as number;
    const candId = stack.pop() as number;

    if (state.resolve(candId) === state.resolve(canonId)) continue;
    canonId = state.resolveFwd(canonId);

    const hypot = state.hypotMap[canonId] as number;
    if (hypot <= MAX_TYPE_ID) {
      if (hypot === candId || identicalArrays(state, hypot, candId) || identicalStructs(state, hypot, candId)) {
        continue;
      }
      return false;
    }
    state.hypotAdd(canonId, candId);

    const cand = state.at(candId);
    const canon = state.at(canonId);
    if (w[cand] !== w[canon]) return false;
    const candInfo = w[cand + 1] as number;
    const canonInfo = w[canon + 1] as number;
    const candKind = state.kind(candId);
    const canonKind = state.kind(canonId);

    if ((candKind === KIND_FWD || canonKind === KIND_FWD) && candKind !== canonKind) {
      let realKind: number;
      let declaredKind: number;
      if (candKind === KIND_FWD) {
        realKind = canonKind;
        declaredKind = fwdKind(candInfo);
      } else {
        realKind = candKind;
        declaredKind = fwdKind(canonInfo);
        // Equivalence would need a base FWD resolved, and base BTF is immutable.
        if (declaredKind === realKind && canonId < state.startId) state.hypotAdjustCanon = true;
      }
      if (declaredKind !== realKind) return false;
      continue;
    }
    if (candKind !== canonKind) return false;

    switch (candKind) {
      case KIND_INT:
        if (!equalIntOrDeclTag(w, cand, canon)) return false;
        break;
      case KIND_ENUM:
      case KIND_ENUM64:
        if (!compatEnum(w, cand, canon)) return false;
        break;
      case KIND_FWD:
      case KIND_FLOAT:
        if (!equalCommon(w, cand, canon)) return false;
        break;
      case KIND_CONST:
      case KIND_VOLATILE:
      case KIND_RESTRICT:
      case KIND_PTR:
      case KIND_TYPEDEF:
      case KIND_FUNC:
      case KIND_TYPE_TAG:
        if (candInfo !== canonInfo) return false;
        stack.push(w[cand + 2] as number, w[canon + 2] as number);
        break;
      case KIND_ARRAY:
        if (!compatArray(w, cand, canon)) return false;
        // Index type first, then element type: pushed in reverse.
        stack.push(w[cand + 3] as number, w[canon + 3] as number, w[cand + 4] as number, w[canon + 4] as number);
        break;
      case KIND_STRUCT:
      case KIND_UNION: {
        if (!shallowEqualStruct(w, cand, canon)) return false;
        for (let i = vlenOf(candInfo) - 1; i >= 0; i--) {
          stack.push(w[cand + 4 + 3 * i] as number, w[canon + 4 + 3 * i] as number);
        }
        break;
      }
      case KIND_FUNC_PROTO: {
        if (!compatFuncProto(w, cand, canon)) return false;
        for (let i = vlenOf(candInfo) - 1; i >= 0; i--) {
          stack.push(w[cand + 4 + 2 * i] as number, w[canon + 4 + 2 * i] as number);
        }
        stack.push(w[cand + 2] as number, w[canon + 2] as number);
        break;
      }
      default:
        throw new BtfDedupError(`${KIND_NAMES[candKind]} cannot appear inside a struct/union type graph`, {
          section: ".BTF",
          typeId: candId,
        });
    }
  }
  return true;
}
