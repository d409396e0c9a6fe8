// Name lookups in kernel BTF (vmlinux or a module) for ksyms, kfuncs and attach targets, over any type view with
// `kind(id)` and `nameOf(id)` (the @bpfkit/btf Btf class, the CO-RE raw view, ObjectBtf). The index is built on
// first use, once per view, and only for the kinds the loader looks up.

import type { CoreBtf } from "@bpfkit/btf";
import type { KernelBtfView } from "../prepare/ksyms.js";

export interface NamedTypeView {
  readonly typeCount: number;
  /** First id this BTF defines (1, or the base's count for split module BTF). Default 1. */
  readonly firstOwnId?: number;
  kind(id: number): number;
  nameOf(id: number): string;
}

const INDEXED_KINDS = new Set([8 /* TYPEDEF */, 12 /* FUNC */, 14 /* VAR */]);

/** A view that also reads members and sizes (RawCoreBtf, ObjectBtf, @bpfkit/btf's coreView): a CoreBtf. */
function isCoreBtf(btf: NamedTypeView): btf is NamedTypeView & CoreBtf {
  const b = btf as Partial<CoreBtf>;
  return (
    typeof b.memberBitOffset === "function" &&
    typeof b.memberBitfieldSize === "function" &&
    typeof b.arrayLength === "function" &&
    typeof b.sizeField === "function" &&
    typeof b.pointerSize === "number"
  );
}

/**
 * libbpf's btf__find_by_name_kind(_own) over the view's own types: first id wins, 0 when absent. When `btf` is a
 * full CoreBtf, the view's `types` is it (struct_ops maps read the kernel's member layouts from there).
 */
export function kernelBtfView(btf: NamedTypeView): KernelBtfView {
  let index: Map<string, number> | undefined;
  return {
    types: isCoreBtf(btf) ? btf : undefined,
    findByNameKind(name: string, kind: number): number {
      if (!INDEXED_KINDS.has(kind)) {
        for (let id = btf.firstOwnId ?? 1; id < btf.typeCount; id++) {
          if (btf.kind(id) === kind && btf.nameOf(id) === name) return id;
        }
        return 0;
      }
      if (!index) {
        index = new Map();
        for (let id = btf.firstOwnId ?? 1; id < btf.typeCount; id++) {
          const k = btf.kind(id);
          if (!INDEXED_KINDS.has(k)) continue;
          const key = `${k}:${btf.nameOf(id)}`;
          if (!index.has(key)) index.set(key, id);
        }
      }
      return index.get(`${kind}:${name}`) ?? 0;
    },
  };
}

const TRACE_RAW_TP = 23;
const LSM_MAC = 27;
const TRACE_ITER = 28;
const LSM_CGROUP = 43;

/** What libbpf looks up for an ATTACH_BTF program: `btf_trace_X` typedef, `bpf_lsm_X` / `bpf_iter_X` / `X` func. */
export function attachTargetName(attachType: number, target: string): { name: string; kind: number } {
  if (attachType === TRACE_RAW_TP) return { name: `btf_trace_${target}`, kind: 8 };
  if (attachType === LSM_MAC || attachType === LSM_CGROUP) return { name: `bpf_lsm_${target}`, kind: 12 };
  if (attachType === TRACE_ITER) return { name: `bpf_iter_${target}`, kind: 12 };
  return { name: target, kind: 12 };
}
