// @bpfkit/loader object model: open a clang BPF object into plain-data specs.

// BTF kind numbers (@bpfkit/btf's Kind) under the name the loader has always exported them by.
export { Kind as BtfKind } from "@bpfkit/btf";
export type { BtfExt, CoreRelocationRecord, FuncInfoRecord, LineInfoRecord } from "../btf/btf-ext.js";
export { LoaderError, type LoaderErrorCode, type LoaderErrorContext, ObjectError } from "../errors.js";
export {
  findSectionDef,
  SecFlag,
  type SectionDef,
  type SectionTable,
  sectionDefMatches,
  sectionDefs,
} from "../sections/section-defs.js";
export { adjustRingbufSize } from "./btf-maps.js";
export type { ProgramTypeOverride } from "./classify.js";
export { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, internalMapName } from "./data-maps.js";
export { type MapEdit, type ProgramEdit, setMap, setProgram } from "./edit.js";
export { type OpenOptions, objectNameFromPath, openObject } from "./open.js";
export type * from "./spec.js";
export { BPF_F_LINK, BPF_MAP_TYPE_STRUCT_OPS, BPF_PROG_TYPE_STRUCT_OPS } from "./struct-ops.js";
export { encodeVariable, setVariable, type VariableValue, variableBytes } from "./variables.js";
