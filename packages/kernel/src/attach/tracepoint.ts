// Tracepoints (a perf event of PERF_TYPE_TRACEPOINT per tracefs id) and raw tracepoints (BPF_RAW_TRACEPOINT_OPEN,
// whose descriptor is a BPF link), as libbpf attaches them.

import type { Fd } from "@bpfkit/loader";
import type { KernelBackend } from "../kernel-backend.js";
import { Link } from "../link-handle.js";
import { AttachError } from "./errors.js";
import { linkPerfEvent, openPerfEvent, PerfType } from "./perf-event.js";
import { tracepointId } from "./tracefs.js";

export function attachTracepoint(backend: KernelBackend, prog: Fd, category: string, name: string, cookie?: bigint) {
  const id = tracepointId(category, name);
  const what = `tracepoint ${category}/${name}`;
  const perfFd = openPerfEvent({ type: PerfType.TRACEPOINT, config: BigInt(id), pid: -1, cpu: 0 }, what);
  return linkPerfEvent(backend, prog, perfFd, what, cookie);
}

export function attachRawTracepoint(backend: KernelBackend, prog: Fd, name: string): Link {
  const description = `raw tracepoint ${name}`;
  try {
    return new Link(backend, { description, fd: backend.rawTracepointOpen(prog, name) });
  } catch (error) {
    const errno = (error as { errno?: number }).errno;
    const code = errno === 2 ? "NOT_FOUND" : "SYSCALL";
    throw new AttachError(code, `${description}: ${(error as Error).message}`, { errno, cause: error });
  }
}
