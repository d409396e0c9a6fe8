// Name lookups in kernel BTF (vmlinux or a module) for ksyms, kfuncs, struct_ops and attach targets, over a parsed
// @bpfkit/btf Btf: its name index (built on the first lookup, once per Btf) answers them, and the view carries the
// Btf itself as `types`, so struct_ops maps can read the kernel's member layouts.

import type { Btf } from "@bpfkit/btf";
import type { KernelBtfView } from "../prepare/ksyms.js";

/**
 * libbpf's btf__find_by_name_kind(_own) over the Btf's own types (a module's split BTF does not answer for
 * vmlinux's): first id wins, 0 when absent.
 */
export function kernelBtfView(btf: Btf): KernelBtfView {
  return {
    types: btf,
    findByNameKind(name: string, kind: number): number {
      for (const id of btf.findAllByName(name, kind)) if (id >= btf.firstOwnId) return id;
      return 0;
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
