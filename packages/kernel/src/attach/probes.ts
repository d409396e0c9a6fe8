// kprobes and kretprobes (the kprobe PMU: config1 = the function's name, config2 = the offset) and ksyscall (a
// kprobe on the architecture's syscall wrapper, __x64_sys_NAME on x86-64), as libbpf attaches them. Kernels without
// CONFIG_KPROBES have no kprobe PMU: the error says so, where libbpf falls back to tracefs' kprobe_events and fails
// there with ENOENT.

import { readFileSync } from "node:fs";
import { AttachType } from "@bpfkit/asm";
import type { Fd } from "@bpfkit/loader";
import type { KernelBackend } from "../kernel-backend.js";
import { addressOf } from "../libc.js";
import type { Link } from "../link-handle.js";
import { createLinkOrThrow } from "./bpf-link.js";
import { AttachError } from "./errors.js";
import { linkPerfEvent, openPerfEvent } from "./perf-event.js";
import { probePmu } from "./tracefs.js";

const SYSCALL_PREFIX: Record<string, string> = { x64: "__x64_sys_", arm64: "__arm64_sys_", s390x: "__s390x_sys_" };

export interface KprobeTarget {
  readonly func: string;
  readonly offset?: number;
  readonly retprobe?: boolean;
  readonly cookie?: bigint;
}

export function attachKprobe(backend: KernelBackend, prog: Fd, target: KprobeTarget) {
  const what = `${target.retprobe ? "kretprobe" : "kprobe"} ${target.func}${target.offset ? `+${target.offset}` : ""}`;
  const pmu = probePmu("kprobe", what);
  const name = new TextEncoder().encode(`${target.func}\0`);
  const address = BigInt(addressOf(name.buffer as ArrayBuffer));
  const perfFd = openPerfEvent(
    {
      type: pmu.type,
      config: target.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n,
      config1: address,
      config2: BigInt(target.offset ?? 0),
      pid: -1,
      cpu: 0,
    },
    what,
    [name],
  );
  return linkPerfEvent(backend, prog, perfFd, what, target.cookie);
}

/** ksyscall/NAME: a kprobe on the syscall's entry wrapper. */
export function attachKsyscall(backend: KernelBackend, prog: Fd, syscall: string, retprobe: boolean) {
  const prefix = SYSCALL_PREFIX[process.arch === "x64" ? "x64" : process.arch] ?? "__x64_sys_";
  return attachKprobe(backend, prog, { func: `${prefix}${syscall}`, retprobe });
}

/**
 * kprobe.multi/PATTERN: one BPF_TRACE_KPROBE_MULTI link over every kernel function whose name matches the glob
 * (`*` and `?`), addresses from /proc/kallsyms as libbpf 1.1 resolves them. Kernels without CONFIG_FPROBE refuse the
 * link (EOPNOTSUPP): the error says so.
 */
export function attachKprobeMulti(backend: KernelBackend, prog: Fd, pattern: string, retprobe: boolean): Link {
  const what = `${retprobe ? "kretprobe" : "kprobe"}.multi ${pattern}`;
  const source = pattern
    .replace(/[.+^$(){}|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  const glob = new RegExp(`^${source}$`);
  const addrs: bigint[] = [];
  for (const line of readFileSync("/proc/kallsyms", "utf8").split("\n")) {
    const [address, type, name, module] = line.split(/\s+/);
    if (!name || module || (type !== "T" && type !== "t") || !glob.test(name)) continue;
    addrs.push(BigInt(`0x${address}`));
  }
  if (addrs.length === 0) throw new AttachError("NOT_FOUND", `${what}: no kernel function matches`);
  if (addrs.every((a) => a === 0n)) {
    throw new AttachError("NO_KERNEL_FEATURE", `${what}: /proc/kallsyms hides addresses (kptr_restrict)`);
  }
  return createLinkOrThrow(
    backend,
    { prog, target: 0, attachType: AttachType.TRACE_KPROBE_MULTI, kprobeMulti: { flags: retprobe ? 1 : 0, addrs } },
    what,
    "this kernel has no kprobe multi links (it needs CONFIG_FPROBE)",
  );
}
