// @bpfkit/loader: BPF object loading. Pure: opening objects into specs, preparing them, and the Backend interface.

export { canonicalHook, hookOfPlan } from "./attach/hook.js";
export { type AttachPlan, attachPlan } from "./attach/plan.js";
export type {
  Backend,
  BtfInfo,
  BtfLoadAttrs,
  ExtInfo,
  Features,
  InsnSourceLine,
  LinkCreateAttrs,
  LinkInfo,
  LoadedBtf,
  LoadedProgram,
  MapBatchLookup,
  MapBatchLookupResult,
  MapBatchWrite,
  MapCreateAttrs,
  MapInfo,
  MappedMemory,
  ObjectKind,
  ProgExtInfo,
  ProgInfo,
  ProgLoadAttrs,
  ProgramCoreRelocation,
  TestRunAttrs,
  TestRunResult,
} from "./backend.js";
export { MODERN_KERNEL_FEATURES } from "./backend.js";
export { ClosedFdError, Fd } from "./fd.js";
// The object model (open an ELF object into plain-data specs) and the pure prepare/load steps.
export * from "./object/index.js";
export * from "./prepare/index.js";
export { formatSourceLine, sourceLineFor } from "./source-line.js";
// Typed values (BTF-driven codec for map keys/values and global variables).
export * from "./values/index.js";
