// @bpfkit/loader prepare/load: kernel facts + map fds in, final instructions and create/load plans out.

export { attachTargetName, kernelBtfView } from "../load/kernel-btf.js";
export { type LoadedObject, type LoadOptions, load } from "../load/load.js";
export { registerStructOps, type StructOpsRegistration } from "../load/struct-ops.js";
export type {
  CoreOptions,
  CoreProgramInput,
  CoreRelocateOptions,
  CoreRelocateResult,
  CoreRelocator,
} from "./core-hook.js";
export {
  type CoreFunction,
  type CoreLoadFailure,
  explainCoreFailure,
  placeCoreRelocations,
} from "./core-relocations.js";
export { buildKconfigData, type KconfigInput, kernelVersionCode } from "./kconfig.js";
export type { KernelBtfObject, KernelBtfView, KsymInput, ResolvedKsym, ResolvedKsyms } from "./ksyms.js";
export { resolveKsyms } from "./ksyms.js";
export { type LinkedProgram, linkProgram } from "./link.js";
export { MAP_POISON_BASE } from "./patch.js";
export {
  BPF_F_SLEEPABLE,
  BPF_F_XDP_HAS_FRAGS,
  type ExternInput,
  type MapCreatePlan,
  type PreparedExterns,
  type PreparedMap,
  type PreparedProgram,
  type PreparedPrograms,
  type PrepareFeatures,
  type PrepareMapsOptions,
  type PrepareProgramsOptions,
  prepareExterns,
  prepareMaps,
  preparePrograms,
} from "./prepare.js";
export {
  type BtfSanitizeFeatures,
  btfNeedsSanitization,
  ENUM64_PLACEHOLDER_NAME,
  sanitizeBtf,
} from "./sanitize-btf.js";
export {
  type PreparedStructOps,
  prepareStructOps,
  STRUCT_OPS_VALUE_PREFIX,
  type StructOpsAttach,
  type StructOpsSlot,
  structOpsAttachments,
  structOpsValue,
} from "./struct-ops.js";
