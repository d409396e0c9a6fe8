// The verifier-log loop shared by BPF_PROG_LOAD and BPF_BTF_LOAD: first try without a log (cheap), on failure
// retry with one; grow the buffer on ENOSPC (to log_true_size when the kernel reports it) and retry.
import { Staging, type StructBuffer } from "./attr/attr.js";
import { splitLog } from "./verifier-error.js";

const ENOSPC = 28;
const EAGAIN = 11;
/** Largest log the kernel accepts (UINT_MAX >> 2 since Linux 5.2). */
export const MAX_LOG_SIZE = 2 ** 30 - 1;
export const DEFAULT_LOG_SIZE = 64 * 1024;

/** Where the log fields of one command live in its attr. */
export interface LogFields {
  readonly level: number;
  readonly size: number;
  readonly buffer: number;
  readonly trueSize: number;
}

export interface LogOutcome {
  /** Command result (fd) or minus errno. */
  readonly result: number;
  readonly log: string[];
  /** The log hit MAX_LOG_SIZE and is incomplete. */
  readonly truncated: boolean;
}

/**
 * Runs `invoke` (which issues the syscall on `attr`) until it succeeds, fails for a reason other than the log,
 * or the log cannot grow. `requestedLevel` 0 means "log only when explaining a failure".
 */
export function runWithLog(
  attr: StructBuffer,
  fields: LogFields,
  invoke: () => number,
  requestedLevel: number,
  requestedSize: number | undefined,
): LogOutcome {
  let level = requestedLevel;
  let size = Math.min(Math.max(requestedSize ?? DEFAULT_LOG_SIZE, 128), MAX_LOG_SIZE);
  let again = 0;
  for (;;) {
    const staging = new Staging();
    attr.retain(staging);
    let log: Uint8Array | undefined;
    attr.u32(fields.trueSize, 0);
    if (level > 0) {
      const area = staging.output(size);
      log = area.bytes;
      attr.u32(fields.level, level).u32(fields.size, size).u64(fields.buffer, area.address);
    } else {
      attr.u32(fields.level, 0).u32(fields.size, 0).u64(fields.buffer, 0);
    }
    const result = invoke();
    staging.release();
    if (result === -EAGAIN && again++ < 5) continue;
    if (result >= 0) return { result, log: log ? splitLog(log) : [], truncated: false };
    if (level === 0) {
      // Failed without a log: run again with one so the error can say why.
      level = 1;
      continue;
    }
    if (result === -ENOSPC && size < MAX_LOG_SIZE) {
      const trueSize = attr.getU32(fields.trueSize);
      size = Math.min(trueSize > size ? trueSize : size * 4, MAX_LOG_SIZE);
      continue;
    }
    return { result, log: log ? splitLog(log) : [], truncated: result === -ENOSPC };
  }
}
