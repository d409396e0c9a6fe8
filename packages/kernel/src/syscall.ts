// The one bpf(2) chokepoint: every command goes through `bpf()` (returns -errno) or `bpfOrThrow()`.
import { readFileSync } from "node:fs";
import type { StructBuffer } from "./attr/attr.js";
import { BpfSyscallError, commandName, explainErrno, type PrivilegeContext } from "./errors.js";
import { BPF_SYSCALL_NUMBER, bpfSyscall, errnoNameOf, getMemlockLimit, lastErrno } from "./libc.js";

const ENOSYS = 38;
const EINTR = 4;

/**
 * The attr of the command in progress. Holding it in a module variable keeps it, and every buffer it retains,
 * reachable during the syscall: the kernel reads and writes those buffers by address, which the garbage
 * collector cannot see.
 */
let inFlight: StructBuffer | undefined;

/** bpf(2) calls made by this process (for tests that must see a cached answer make no call). */
let calls = 0;

/** Runs a command; returns the result (>= 0) or minus the errno. Retries EINTR. */
export function bpf(cmd: number, attr: StructBuffer, size: number): number {
  if (BPF_SYSCALL_NUMBER === undefined) return -ENOSYS;
  calls++;
  inFlight = attr;
  for (;;) {
    const result = bpfSyscall(cmd, attr.address, size);
    if (result >= 0) {
      inFlight = undefined;
      return result;
    }
    const errno = lastErrno();
    if (errno !== EINTR) {
      inFlight = undefined;
      return -errno;
    }
  }
}

/** The attr of the command in progress, if any (for tests of the keep-alive rule). */
export function commandInFlight(): StructBuffer | undefined {
  return inFlight;
}

/** How many bpf(2) commands this process has issued through `bpf()`. */
export function bpfCallCount(): number {
  return calls;
}

export function errnoName(errno: number): string {
  return errnoNameOf(errno) ?? `errno ${errno}`;
}

/** What we can find out about privileges, for EPERM/EACCES messages. Only read when such an error happens. */
export function privilegeContext(memcgAccounting?: boolean): PrivilegeContext {
  let unprivilegedBpfDisabled: number | undefined;
  try {
    unprivilegedBpfDisabled = Number.parseInt(readFileSync("/proc/sys/kernel/unprivileged_bpf_disabled", "utf8"), 10);
  } catch {
    unprivilegedBpfDisabled = undefined;
  }
  const limit = memcgAccounting === false ? getMemlockLimit() : undefined;
  return {
    euid: process.geteuid?.(),
    unprivilegedBpfDisabled,
    memlockLimited: limit !== undefined && limit[0] !== 2n ** 64n - 1n,
  };
}

/** Builds the typed error for a failed command. */
export function syscallError(cmd: number, errno: number, detail = ""): BpfSyscallError {
  const command = commandName(cmd);
  const code = errnoName(errno);
  const context = code === "EPERM" || code === "EACCES" ? privilegeContext() : {};
  const explanation =
    BPF_SYSCALL_NUMBER === undefined && errno === ENOSYS
      ? `bpf(2) syscall number unknown for architecture ${process.arch}`
      : explainErrno(command, code, context);
  return new BpfSyscallError(command, errno, code, detail, explanation);
}

/** Runs a command and throws `BpfSyscallError` on failure. */
export function bpfOrThrow(cmd: number, attr: StructBuffer, size: number, detail?: string): number {
  const result = bpf(cmd, attr, size);
  if (result < 0) throw syscallError(cmd, -result, detail);
  return result;
}
