// What a command reports when it fails: bpftool's p_err message and the exit status its main returns.
import { ERRNO_TEXT } from "./strerror.generated.js";

/** bpftool exits with `ret & 0xff`: -1 is 255, -ENOENT (a map lookup miss) is 254, -ENOTSUP is 161. */
export function exitStatus(ret: number): number {
  return ret & 0xff;
}

/**
 * A failed command: `message` is printed as bpftool's p_err prints it (`Error: ...` on stderr, or an
 * `{"error": ...}` object on stdout with -j), and the process exits with exitStatus(ret).
 */
export class CliError extends Error {
  override readonly name = "CliError";
  /** The value bpftool's command would return (negative errno, or -1). */
  readonly ret: number;
  /** Print the current object's help after the message, as bpftool's usage() does. */
  readonly usage: boolean;
  /** Fail without a message, as bpftool does in a few places (a map `name` that matches nothing). */
  readonly silent: boolean;

  constructor(message: string, options: { ret?: number; usage?: boolean; cause?: unknown; silent?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.ret = options.ret ?? -1;
    this.usage = options.usage ?? false;
    this.silent = options.silent ?? false;
  }
}

/** A bad command line: the message, then bpftool's usage text for the command. */
export function usageError(message: string): CliError {
  return new CliError(message, { usage: true });
}

/** Linux errno numbers the CLI names in its exit codes. */
export const Errno = { ENOENT: 2, EINVAL: 22, ENOTSUP: 95, EOPNOTSUPP: 95 } as const;

/** glibc's strerror() for an errno number or name ("ENOENT"), as bpftool prints it. */
export function strerror(errno: number | string): string {
  if (typeof errno === "number") return ERRNO_TEXT[errno]?.[1] ?? `Unknown error ${errno}`;
  for (const [name, text] of Object.values(ERRNO_TEXT)) if (name === errno) return text;
  return errno;
}

/** The errno number of a Node system error or a BpfSyscallError, if it has one. */
export function errnoOf(error: unknown): number | undefined {
  const e = error as { errno?: unknown; code?: unknown } | null;
  if (e === null || typeof e !== "object") return undefined;
  if (typeof e.errno === "number") return Math.abs(e.errno);
  if (typeof e.code === "string")
    for (const [n, [name]] of Object.entries(ERRNO_TEXT)) if (name === e.code) return Number(n);
  return undefined;
}

/** strerror() of whatever a failed system or bpf(2) call threw. */
export function describeErrno(error: unknown): string {
  const n = errnoOf(error);
  return n === undefined ? (error instanceof Error ? error.message : String(error)) : strerror(n);
}
