export { type DedupBase, prepareDedupBase } from "./base.js";
export { type DedupRawOptions, type DedupRawResult, dedupRawBtf } from "./dedup.js";
export { BtfDedupError, type BtfDedupErrorCode, type BtfDedupErrorContext } from "./errors.js";
export { type DedupBtfOptions, type DedupBtfResult, dedupBtf } from "./from-btf.js";
export { type DedupBuilderOptions, dedupBuilder } from "./from-builder.js";
export { countKindsRaw } from "./kind-counts.js";
