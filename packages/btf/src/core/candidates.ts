// Target BTFs and the candidate search: for a local type, every target type of a CO-RE-compatible kind whose
// essential name (flavor suffix `___x` stripped) equals the local one, in id order. libbpf scans all target types
// per distinct local type; we ask an index (EssentialNameIndex) instead, which is the whole speed-up.
// Rules kept from libbpf: vmlinux (or the user's override BTF) first; modules only when vmlinux has no candidate
// and no override was given; module candidates start at the module's own first id.

import { type CoreBtf, essentialName, kindString, kindsCoreCompatible } from "./btf-view.js";

/** Lookup of type ids by essential name, ascending. Implementations may index lazily. */
export interface EssentialNameIndex {
  /**
   * Ids (from `btf.firstOwnId` on, ascending) whose essential name is `name`. Must include every such id whose
   * kind is CO-RE-compatible with `kind` (the local type's kind); others may be included or not.
   */
  idsWithEssentialName(name: string, kind: number): readonly number[];
  /** Optional hint: these names will be looked up next (lets an index answer them in one pass). */
  prefetch?(names: readonly string[]): void;
}

/** A target BTF the engine can search: the type view plus its name index. */
export interface CoreTargetBtf {
  /** Name libbpf prints for it: "vmlinux" or the module name. */
  readonly name: string;
  readonly btf: CoreBtf;
  readonly index: EssentialNameIndex;
}

/**
 * What to relocate against. `vmlinux` + optional `modules` mirrors libbpf on a live kernel; `custom` mirrors
 * btf_custom_path (replaces vmlinux, disables module search).
 */
export interface CoreTargets {
  readonly vmlinux?: CoreTargetBtf;
  readonly modules?: readonly CoreTargetBtf[];
  readonly custom?: CoreTargetBtf;
}

export interface CoreCandidate {
  readonly target: CoreTargetBtf;
  readonly id: number;
}

/** Builds an index by reading every name once (the generic path; the Btf adapter supplies a faster one). */
export function scanEssentialNameIndex(btf: CoreBtf): EssentialNameIndex {
  let byName: Map<string, number[]> | undefined;
  return {
    idsWithEssentialName(name: string, _kind: number): readonly number[] {
      if (!byName) {
        byName = new Map();
        for (let id = btf.firstOwnId; id < btf.typeCount; id++) {
          const typeName = btf.nameOf(id);
          if (typeName === "") continue;
          const key = essentialName(typeName);
          const list = byName.get(key);
          if (list) list.push(id);
          else byName.set(key, [id]);
        }
      }
      return byName.get(name) ?? [];
    },
  };
}

/** Convenience: wrap a CoreBtf as a target with the generic index. */
export function coreTarget(
  name: string,
  btf: CoreBtf,
  index: EssentialNameIndex = scanEssentialNameIndex(btf),
): CoreTargetBtf {
  return { name, btf, index };
}

function addCandidates(
  local: CoreBtf,
  localId: number,
  localEssential: string,
  target: CoreTargetBtf,
  out: CoreCandidate[],
  trace: (line: string) => void,
): void {
  const localKind = local.kind(localId);
  const localName = local.nameOf(localId);
  for (const id of target.index.idsWithEssentialName(localEssential, localKind)) {
    if (id < target.btf.firstOwnId || id >= target.btf.typeCount) continue;
    const kind = target.btf.kind(id);
    if (!kindsCoreCompatible(kind, localKind)) continue;
    trace(
      `CO-RE relocating [${localId}] ${kindString(localKind)} ${localName}: found target candidate [${id}] ${kindString(kind)} ${target.btf.nameOf(id)} in [${target.name}]`,
    );
    out.push({ target, id });
  }
}

/** libbpf's bpf_core_find_cands. Caller guarantees the local type is named. */
export function findCandidates(
  local: CoreBtf,
  localId: number,
  targets: CoreTargets,
  trace: (line: string) => void,
): CoreCandidate[] {
  const localEssential = essentialName(local.nameOf(localId));
  const out: CoreCandidate[] = [];
  const main = targets.custom ?? targets.vmlinux;
  if (main) addCandidates(local, localId, localEssential, main, out, trace);
  if (out.length > 0 || targets.custom) return out;
  for (const module of targets.modules ?? []) addCandidates(local, localId, localEssential, module, out, trace);
  return out;
}
