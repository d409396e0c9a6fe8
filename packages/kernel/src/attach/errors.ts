// Why an attachment failed, with what is missing named: a kernel feature (CONFIG_KPROBES, BPF trampolines), a
// target (a tracepoint, a symbol, an interface), or the syscall's errno.

export type AttachErrorCode =
  /** The kernel lacks what the attachment needs (a PMU, a config option, trampolines). */
  | "NO_KERNEL_FEATURE"
  /** The target does not exist (tracepoint, function, symbol, interface, cgroup). */
  | "NOT_FOUND"
  /** The program cannot attach this way (wrong type, bare section without a target). */
  | "BAD_TARGET"
  /** perf_event_open, BPF_LINK_CREATE or another call failed. */
  | "SYSCALL";

export class AttachError extends Error {
  override readonly name = "AttachError";
  readonly code: AttachErrorCode;
  readonly errno: number | undefined;

  constructor(code: AttachErrorCode, message: string, options: { errno?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.errno = options.errno;
  }
}
