// The queries that find attachments, BPF_PROG_QUERY (what is attached to a cgroup or netns) and BPF_TASK_FD_QUERY
// (what a process's perf event or raw tracepoint fd runs), plus BPF_LINK_DETACH and BPF_RAW_TRACEPOINT_OPEN.
import type { Fd } from "@bpfkit/loader";
import { Staging, StructBuffer } from "./attr/attr.js";
import { LinkDetach, LinkUpdate, ProgQuery, RawTracepointOpen, TaskFdQuery } from "./attr/layout.js";
import { bpf, bpfOrThrow, syscallError } from "./syscall.js";
import { BpfCmd } from "./uapi.generated.js";

/** BPF_F_QUERY_EFFECTIVE: the programs that run for a cgroup, its ancestors' included. */
export const QUERY_EFFECTIVE = 1;

export interface ProgQueryResult {
  /** The attach flags of the target (cgroup: BPF_F_ALLOW_OVERRIDE / BPF_F_ALLOW_MULTI), 0 for an effective query. */
  readonly attachFlags: number;
  /** The attached programs' ids, in the kernel's order (run order). */
  readonly progIds: readonly number[];
  /** Per-program attach flags (Linux 6.0+, not for effective queries); zeros where the kernel gives none. */
  readonly progAttachFlags: readonly number[];
}

/**
 * BPF_PROG_QUERY on a target (a cgroup or netns fd) for one attach type. `capacity` ids are asked for, as
 * bpftool's cgroup commands ask for 1024. Per-program flags are requested unless the query is effective (the
 * kernel refuses them there). Throws BpfSyscallError (EINVAL for attach types the target does not have).
 */
export function progQuery(target: number, attachType: number, queryFlags = 0, capacity = 1024): ProgQueryResult {
  const ids = new StructBuffer(Math.max(capacity, 1) * 4);
  const flags = new StructBuffer(Math.max(capacity, 1) * 4);
  const attr = new StructBuffer(ProgQuery.size);
  attr
    .retain(ids, flags)
    .u32(ProgQuery.targetFd, target)
    .u32(ProgQuery.attachType, attachType)
    .u32(ProgQuery.queryFlags, queryFlags)
    .u32(ProgQuery.progCnt, capacity);
  if (capacity > 0) attr.u64(ProgQuery.progIds, ids.address);
  const perProgram = capacity > 0 && (queryFlags & QUERY_EFFECTIVE) === 0;
  if (perProgram) attr.u64(ProgQuery.progAttachFlags, flags.address);
  bpfOrThrow(BpfCmd.PROG_QUERY, attr, ProgQuery.size, `target fd ${target} attach type ${attachType}`);
  const count = attr.getU32(ProgQuery.progCnt);
  const progIds: number[] = [];
  const progAttachFlags: number[] = [];
  for (let i = 0; i < Math.min(count, capacity); i++) {
    progIds.push(ids.getU32(i * 4));
    progAttachFlags.push(perProgram ? flags.getU32(i * 4) : 0);
  }
  return { attachFlags: attr.getU32(ProgQuery.attachFlags), progIds, progAttachFlags };
}

/** How many programs are attached (BPF_PROG_QUERY without buffers); throws like progQuery. */
export function progQueryCount(target: number, attachType: number, queryFlags = 0): number {
  const attr = new StructBuffer(ProgQuery.size);
  attr.u32(ProgQuery.targetFd, target).u32(ProgQuery.attachType, attachType).u32(ProgQuery.queryFlags, queryFlags);
  bpfOrThrow(BpfCmd.PROG_QUERY, attr, ProgQuery.size, `target fd ${target} attach type ${attachType}`);
  return attr.getU32(ProgQuery.progCnt);
}

/** BPF_LINK_DETACH: the link stays, its program is detached from its target. */
export function linkDetach(link: Fd): void {
  const attr = new StructBuffer(LinkDetach.size);
  attr.u32(LinkDetach.linkFd, link.value);
  bpfOrThrow(BpfCmd.LINK_DETACH, attr, LinkDetach.size, `link fd ${link.value}`);
}

/** BPF_LINK_UPDATE: the link runs `prog` from now on. */
export function linkUpdate(link: Fd, prog: Fd): void {
  const attr = new StructBuffer(LinkUpdate.size);
  attr.u32(LinkUpdate.linkFd, link.value).u32(LinkUpdate.newProgFd, prog.value);
  bpfOrThrow(BpfCmd.LINK_UPDATE, attr, LinkUpdate.size, `link fd ${link.value}`);
}

/** BPF_RAW_TRACEPOINT_OPEN: attaches a raw tracepoint program; returns the new descriptor. */
export function rawTracepointOpen(prog: Fd, name: string): number {
  const staging = new Staging();
  const attr = new StructBuffer(RawTracepointOpen.size);
  attr.retain(staging).u64(RawTracepointOpen.name, staging.string(name)).u32(RawTracepointOpen.progFd, prog.value);
  const result = bpf(BpfCmd.RAW_TRACEPOINT_OPEN, attr, RawTracepointOpen.size);
  staging.release();
  if (result < 0) throw syscallError(BpfCmd.RAW_TRACEPOINT_OPEN, -result, name);
  return result;
}

/** `enum bpf_task_fd_type`. */
export const TaskFdType = {
  RAW_TRACEPOINT: 0,
  TRACEPOINT: 1,
  KPROBE: 2,
  KRETPROBE: 3,
  UPROBE: 4,
  URETPROBE: 5,
} as const;

export interface TaskFdInfo {
  readonly progId: number;
  /** A TaskFdType value. */
  readonly fdType: number;
  /** Tracepoint or kernel function name, or the uprobe's file name ("" for a kprobe by address). */
  readonly name: string;
  readonly probeOffset: bigint;
  readonly probeAddr: bigint;
}

/**
 * BPF_TASK_FD_QUERY: what BPF program descriptor `fd` of process `pid` runs (a perf event with a program, or a
 * raw tracepoint). Returns minus the errno when the kernel refuses (the fd is not such a descriptor: ENOTSUPP 524,
 * EBADF, ENOENT ...), as callers that scan every fd of every process expect most queries to fail.
 */
export function taskFdQuery(pid: number, fd: number, bufferSize = 4096): TaskFdInfo | number {
  const staging = new Staging();
  const buf = staging.output(bufferSize);
  const attr = new StructBuffer(TaskFdQuery.size);
  attr
    .retain(staging)
    .u32(TaskFdQuery.pid, pid)
    .u32(TaskFdQuery.fd, fd)
    .u32(TaskFdQuery.bufLen, bufferSize)
    .u64(TaskFdQuery.buf, buf.address);
  const result = bpf(BpfCmd.TASK_FD_QUERY, attr, TaskFdQuery.size);
  if (result < 0) {
    staging.release();
    return result;
  }
  const end = buf.bytes.indexOf(0);
  const name = new TextDecoder().decode(buf.bytes.subarray(0, end < 0 ? buf.bytes.length : end));
  staging.release();
  return {
    progId: attr.getU32(TaskFdQuery.progId),
    fdType: attr.getU32(TaskFdQuery.fdType),
    name,
    probeOffset: attr.getU64(TaskFdQuery.probeOffset),
    probeAddr: attr.getU64(TaskFdQuery.probeAddr),
  };
}
