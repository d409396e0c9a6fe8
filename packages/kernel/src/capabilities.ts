// This thread's effective capabilities, and dropping some of them for a while: `bpftool feature probe
// unprivileged` probes what an unprivileged user could do by clearing CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN and
// CAP_PERFMON from the effective set. Raw capset(2) changes only the calling thread (the one making bpf(2) calls)
// and clearing effective bits keeps them permitted, so they can be raised again afterwards.
import { readFileSync } from "node:fs";
import koffi from "koffi";
import { CAPSET_SYSCALLS } from "./capset-numbers.js";

export const Capability = { NET_ADMIN: 12, SYS_ADMIN: 21, PERFMON: 38, BPF: 39 } as const;

const CAPABILITY_VERSION_3 = 0x20080522;

/** The effective capability set of this process as a bit mask (from /proc/self/status). */
export function effectiveCapabilities(): bigint {
  const status = readFileSync("/proc/self/status", "utf8");
  const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return match ? BigInt(`0x${match[1]}`) : 0n;
}

/** Whether the running kernel knows capability `cap` (CAP_BPF and CAP_PERFMON came with 5.8). */
export function capabilitySupported(cap: number): boolean {
  try {
    return cap <= Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8"));
  } catch {
    return false;
  }
}

let libc: ReturnType<typeof koffi.load> | undefined;
type Syscall2 = (n: number, header: number, data: number) => number;
let syscall2: Syscall2 | undefined;

function capCall(which: "capget" | "capset", data: ArrayBuffer): void {
  const numbers = CAPSET_SYSCALLS[process.arch];
  if (numbers === undefined) throw new Error(`capget/capset numbers unknown for ${process.arch}`);
  libc ??= koffi.load("libc.so.6");
  syscall2 ??= libc.func("long syscall(long number, uintptr_t header, uintptr_t data)") as Syscall2;
  const header = new ArrayBuffer(8);
  new DataView(header).setUint32(0, CAPABILITY_VERSION_3, true);
  if (syscall2(numbers[which], Number(koffi.address(header)), Number(koffi.address(data))) !== 0)
    throw new Error(`${which} failed: errno ${koffi.errno()}`);
}

/**
 * Clears `caps` from this thread's effective set; returns the function that restores the set as it was. Throws
 * where capget/capset cannot be called (unknown syscall numbers) or the kernel refuses.
 */
export function dropEffectiveCapabilities(caps: readonly number[]): () => void {
  // struct __user_cap_data_struct[2]: {effective, permitted, inheritable} for bits 0-31, then 32-63
  const saved = new ArrayBuffer(24);
  capCall("capget", saved);
  const dropped = saved.slice(0);
  const view = new DataView(dropped);
  for (const cap of caps) {
    const word = cap < 32 ? 0 : 12;
    view.setUint32(word, view.getUint32(word, true) & ~(1 << (cap % 32)), true);
  }
  capCall("capset", dropped);
  return () => capCall("capset", saved);
}
