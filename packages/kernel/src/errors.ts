// Errors of the kernel backend. The reason for a failure travels inside the error (command, errno, an
// explanation for the errno values users cannot act on without one), never through a log callback.
import { BPF_CMD_NAMES } from "./uapi.generated.js";

/** What the process may be missing when bpf(2) says EPERM/EACCES; filled in by the caller when it knows. */
export interface PrivilegeContext {
  /** Effective uid; 0 = root. */
  readonly euid?: number;
  /** `kernel.unprivileged_bpf_disabled` (0, 1 or 2), when readable. */
  readonly unprivilegedBpfDisabled?: number;
  /** True when the kernel charges BPF memory to RLIMIT_MEMLOCK (before 5.11) and the limit is not infinite. */
  readonly memlockLimited?: boolean;
}

const PRIVILEGE_HINT =
  "bpf(2) needs root, or CAP_BPF plus CAP_PERFMON (tracing programs, pointer leaks) and CAP_NET_ADMIN " +
  "(networking programs)";

/** Human explanation of an errno for a bpf(2) command, or "" when the kernel's own text says it all. */
export function explainErrno(command: string, code: string, context: PrivilegeContext = {}): string {
  switch (code) {
    case "EPERM": {
      const parts = [PRIVILEGE_HINT];
      if (context.euid !== undefined && context.euid !== 0) parts.push(`this process runs as uid ${context.euid}`);
      if (context.unprivilegedBpfDisabled !== undefined && context.unprivilegedBpfDisabled !== 0)
        parts.push(`kernel.unprivileged_bpf_disabled=${context.unprivilegedBpfDisabled} refuses unprivileged bpf(2)`);
      if (context.memlockLimited)
        parts.push("this kernel charges BPF memory to RLIMIT_MEMLOCK and the limit is finite (ulimit -l unlimited)");
      if (command === "BPF_PROG_LOAD")
        parts.push("lockdown, an LSM, or a program type this kernel refuses (fentry/fexit/lsm) also give EPERM");
      return parts.join("; ");
    }
    case "EACCES":
      return command === "BPF_PROG_LOAD"
        ? "the verifier refused the program (see the log), or the program type needs more privileges"
        : `${PRIVILEGE_HINT}; bpffs permissions or BPF_F_RDONLY/WRONLY access modes can also refuse access`;
    case "E2BIG":
      return "an attribute is larger than this kernel supports (newer fields set on an older kernel?)";
    case "ENOSPC":
      return "the log buffer is too small";
    case "EBADF":
      return "a descriptor passed to the kernel is not open or not of the expected kind";
    case "ENOENT":
      return command.includes("GET_FD_BY_ID") || command === "BPF_OBJ_GET" ? "no such object" : "";
    default:
      return "";
  }
}

/** Name of a bpf(2) command number ("BPF_MAP_CREATE"). */
export function commandName(cmd: number): string {
  return BPF_CMD_NAMES[cmd] ?? `bpf cmd ${cmd}`;
}

/** A bpf(2) call failed. */
export class BpfSyscallError extends Error {
  override readonly name: string = "BpfSyscallError";
  /** Command name, e.g. "BPF_MAP_CREATE". */
  readonly command: string;
  readonly errno: number;
  /** errno name, e.g. "EPERM". */
  readonly code: string;
  /** Why this errno happens for this command, when we know ("" otherwise). */
  readonly explanation: string;

  constructor(command: string, errno: number, code: string, detail = "", explanation = "") {
    const what = detail === "" ? command : `${command} (${detail})`;
    super(`${what} failed: ${code}${explanation === "" ? "" : `: ${explanation}`}`);
    this.command = command;
    this.errno = errno;
    this.code = code;
    this.explanation = explanation;
  }
}

/** Misuse of the backend API detected before any syscall (buffer too small, bad argument). */
export class KernelBackendError extends Error {
  override readonly name = "KernelBackendError";
}
