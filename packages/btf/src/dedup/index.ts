export { type DedupBase, prepareDedupBase } from "./base.js";
export { type DedupRawOptions, type DedupRawResult, dedupRawBtf } from "./dedup.js";
export { BtfDedupError, type BtfDedupErrorCode, type BtfDedupErrorContext } from "./errors.js";
export { countKindsRaw } from "./kind-counts.js";
