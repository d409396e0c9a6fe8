// @bpfkit/linker: static linking of BPF objects with libbpf's semantics (see README.md).
export { LinkError, type LinkErrorCode, type LinkErrorContext } from "./errors.js";
export { formatExplanation, type SymbolResolution } from "./explain.js";
export { Linker, type LinkInputFile, link } from "./linker.js";
export type { SymbolOccurrence } from "./state.js";
