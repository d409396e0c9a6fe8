// One relocation against its candidate list (libbpf's bpf_core_calc_relo_insn): parse the local spec, match
// every candidate, require that all matches agree, narrow the shared candidate list to the matching ones, and
// compute the result (or the "no match" result: zero for existence/size/id kinds, poison for the others).

import type { CoreBtf } from "./btf-view.js";
import { type CoreReloResult, computeRelocation } from "./calc.js";
import type { CoreCandidate } from "./candidates.js";
import { CoreFailure } from "./errors.js";
import { matchSpec } from "./match.js";
import { CoreReloKind } from "./relo-kinds.js";
import { type CoreSpec, formatSpec, truncateLikeLibbpf } from "./spec.js";

export interface ResolvedRelocation {
  readonly result: CoreReloResult;
  readonly localSpec: CoreSpec;
  /** Spec of the first matching candidate; undefined when nothing matched (or TYPE_ID_LOCAL). */
  readonly targetSpec: CoreSpec | undefined;
  /** Candidate that produced the result. */
  readonly candidate: CoreCandidate | undefined;
}

/**
 * `candidates` is the cached list for the local type; it is narrowed in place to the matching candidates when
 * at least one matched (this changes what later relocations of the same type see, exactly as in libbpf).
 */
export function resolveRelocation(
  localSpec: CoreSpec,
  candidates: CoreCandidate[] | undefined,
  prefix: string,
  where: string,
  trace: (line: string) => void,
): ResolvedRelocation {
  const kind = localSpec.kind;
  if (kind === CoreReloKind.TYPE_ID_LOCAL) {
    // The local type id may change during static linking: not validated.
    const id = BigInt(localSpec.rootTypeId);
    const result: CoreReloResult = {
      origVal: id,
      newVal: id,
      poison: false,
      validate: false,
      failMemSizeAdjust: false,
      origSize: 0,
      origTypeId: 0,
      newSize: 0,
      newTypeId: 0,
    };
    return { result, localSpec, targetSpec: undefined, candidate: undefined };
  }
  const local: CoreBtf = localSpec.btf;
  if (local.nameOf(localSpec.rootTypeId) === "") {
    throw new CoreFailure("UNSUPPORTED", `relocation against an anonymous type is not supported`);
  }
  const list = candidates ?? [];
  let chosen: ResolvedRelocation | undefined;
  const kept: CoreCandidate[] = [];
  list.forEach((candidate, i) => {
    let match: ReturnType<typeof matchSpec>;
    try {
      match = matchSpec(localSpec, candidate.target.btf, candidate.id);
    } catch (error) {
      if (error instanceof CoreFailure) {
        throw new CoreFailure(error.code, `error matching candidate #${i} [${candidate.id}]: ${error.message}`);
      }
      throw error;
    }
    trace(
      `${prefix}${match.matched ? "matching" : "non-matching"} candidate #${i} ${truncateLikeLibbpf(formatSpec(match.spec))}`,
    );
    if (!match.matched) return;
    const result = computeRelocation(kind, localSpec, match.spec, where);
    if (chosen === undefined) {
      chosen = { result, localSpec, targetSpec: match.spec, candidate };
    } else if (match.spec.bitOffset !== chosen.targetSpec!.bitOffset) {
      throw new CoreFailure(
        "AMBIGUOUS",
        `field offset ambiguity: ${match.spec.bitOffset} != ${chosen.targetSpec!.bitOffset} (candidate [${candidate.id}] ${candidate.target.btf.nameOf(candidate.id)} in ${candidate.target.name} vs [${chosen.candidate!.id}] ${chosen.candidate!.target.btf.nameOf(chosen.candidate!.id)} in ${chosen.candidate!.target.name})`,
      );
    } else if (result.poison !== chosen.result.poison || result.newVal !== chosen.result.newVal) {
      const describe = (r: CoreReloResult) => `${r.poison ? "failure" : "success"} ${r.newVal}`;
      throw new CoreFailure(
        "AMBIGUOUS",
        `relocation decision ambiguity: ${describe(result)} != ${describe(chosen.result)} (candidate [${candidate.id}] ${candidate.target.btf.nameOf(candidate.id)} in ${candidate.target.name} vs [${chosen.candidate!.id}] ${chosen.candidate!.target.btf.nameOf(chosen.candidate!.id)} in ${chosen.candidate!.target.name})`,
      );
    }
    kept.push(candidate);
  });
  if (chosen !== undefined) {
    // Narrow the shared list: later relocations of this local type only consider candidates that matched here.
    if (candidates) candidates.splice(0, candidates.length, ...kept);
    return chosen;
  }
  trace(`${prefix}no matching targets found`);
  return {
    result: computeRelocation(kind, localSpec, undefined, where),
    localSpec,
    targetSpec: undefined,
    candidate: undefined,
  };
}
