// CO-RE relocation engine: public surface. See README.md in this directory. Names do not clash with the package
// index, so it can `export * from "./core/index.js"` (BTF kinds: use the package's Kind; the .BTF.ext record type
// is the package's CoreReloRecord, which is assignable to CoreReloInput).

export { type BtfNameIndex, btfNameIndex, btfTarget, coreView } from "./btf-adapter.js";
export { parseCoreRelos } from "./btf-ext-core.js";
export {
  type CoreBtf,
  essentialName,
  essentialNameLength,
  kindString,
  resolveSize,
  skipModsAndTypedefs,
} from "./btf-view.js";
export { type MinCoreBtfInput, minimizeCoreBtf } from "./btfgen.js";
export type { CoreReloResult } from "./calc.js";
export {
  type CoreCandidate,
  type CoreTargetBtf,
  type CoreTargets,
  coreTarget,
  type EssentialNameIndex,
  findCandidates,
  scanEssentialNameIndex,
} from "./candidates.js";
export { fieldsAreCompatible, typesAreCompatible, typesMatch } from "./compat.js";
export { describeRelocation } from "./describe.js";
export { type CoreErrorCode, type CoreErrorContext, CoreRelocationError } from "./errors.js";
export { CORE_POISON_IMM } from "./patch.js";
export {
  CoreReloKind,
  coreReloKindName,
  isEnumvalBased,
  isFieldBased,
  isTypeBased,
} from "./relo-kinds.js";
export {
  type AppliedRelocation,
  type CoreProgram,
  type CoreReloRecord as CoreReloInput,
  type CoreReloSection,
  type RelocateCoreOptions,
  type RelocateCoreResult,
  relocateCore,
} from "./relocate.js";
export { type CoreAccessor, type CoreSpec, formatSpec, parseSpec } from "./spec.js";
export {
  explainPoisonedInstruction,
  type FailedCoreRelocation,
  findFailedCoreRelocation,
  fixupVerifierLog,
  type LoadedCoreRelocation,
  MAP_POISON_BASE,
  type VerifierLogContext,
} from "./verifier-log.js";
