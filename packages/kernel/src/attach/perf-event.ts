// perf_event_open(2) for the attachments that go through a perf event (tracepoints, kprobes, uprobes, software and
// hardware events), and BPF_LINK_CREATE with BPF_PERF_EVENT to run a program on it (Linux 5.15+), as libbpf does.

import { AttachType } from "@bpfkit/asm";
import type { Fd } from "@bpfkit/loader";
import { StructBuffer } from "../attr/attr.js";
import type { KernelBackend } from "../kernel-backend.js";
import { closeFd, errnoNameOf, perfEventOpen } from "../libc.js";
import { Link } from "../link-handle.js";
import { AttachError } from "./errors.js";

const PERF_ATTR_SIZE = 128;
const PERF_FLAG_FD_CLOEXEC = 8;

export const PerfType = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2 } as const;

export interface PerfEventAttr {
  readonly type: number;
  readonly config: bigint;
  readonly config1?: bigint;
  readonly config2?: bigint;
  /** Sample every N events (default 1), or N times a second with `frequency`. */
  readonly samplePeriod?: bigint;
  readonly frequency?: boolean;
  /** Process to watch (-1: any), CPU to watch (-1: any). */
  readonly pid: number;
  readonly cpu: number;
}

/** Opens a perf event; `what` names it in errors. Strings `config1`/`config2` point to must stay alive: pass them. */
export function openPerfEvent(attr: PerfEventAttr, what: string, keepAlive: unknown[] = []): number {
  const buffer = new StructBuffer(PERF_ATTR_SIZE);
  buffer
    .retain(...keepAlive)
    .u32(0, attr.type)
    .u32(4, PERF_ATTR_SIZE)
    .u64(8, attr.config)
    .u64(16, attr.samplePeriod ?? 1n)
    .u64(40, attr.frequency ? 1n << 10n : 0n) // flags: freq
    .u32(48, 1) // wakeup_events
    .u64(56, attr.config1 ?? 0n)
    .u64(64, attr.config2 ?? 0n);
  const fd = perfEventOpen(buffer.address, attr.pid, attr.cpu, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    const errno = -fd;
    throw new AttachError("SYSCALL", `perf_event_open (${what}) failed: ${errnoNameOf(errno) ?? `errno ${errno}`}`, {
      errno,
    });
  }
  return fd;
}

/** Runs `prog` on the perf event `perfFd` through a BPF link that owns the event from now on. */
export function linkPerfEvent(backend: KernelBackend, prog: Fd, perfFd: number, description: string, cookie?: bigint) {
  let link: Fd;
  try {
    link = backend.createLink({ prog, target: perfFd, attachType: AttachType.PERF_EVENT, perfEventCookie: cookie });
  } catch (error) {
    closeFd(perfFd);
    throw new AttachError("SYSCALL", `${description}: ${(error as Error).message}`, {
      errno: (error as { errno?: number }).errno,
      cause: error,
    });
  }
  return new Link(backend, { description, fd: link, perfFd });
}
