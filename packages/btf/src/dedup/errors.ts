// Dedup failures are BtfError (the package's one error type, so callers catch one class), with the codes the
// decoder uses: malformed input is reported exactly as Btf.parse would, and type graphs libbpf's dedup refuses
// (a loop of reference types, a struct embedding itself) are CYCLE or BAD_TYPE_ID.
import { BtfError, type BtfErrorCode, type BtfErrorContext } from "../errors.js";

export type { BtfErrorCode as BtfDedupErrorCode, BtfErrorContext as BtfDedupErrorContext };

/** A BtfError raised by dedup; `instanceof BtfError` holds. */
export class BtfDedupError extends BtfError {}
