// What the helpers need from the VM around them: its maps, the host log, the process they pretend to run in.

import type { VmMap } from "../maps/map.js";
import type { PacketFrame } from "../test-run.js";

export interface ProcessIdentity {
  readonly pid: number;
  readonly tgid: number;
  readonly uid: number;
  readonly gid: number;
  /** bpf_get_current_comm (at most 15 bytes are given). */
  readonly comm: string;
}

/** Where probe_read_kernel/user read: the bytes at `address` of that address space, or undefined (EFAULT). */
export type ProbeMemory = (space: "kernel" | "user", address: bigint, size: number) => Uint8Array | undefined;

export interface HelperEnvironment {
  /** The map a handle names. */
  map(handle: number): VmMap | undefined;
  /** trace_printk/trace_vprintk output, one line per call. */
  readonly log: string[];
  readonly process: ProcessIdentity;
  /** State of get_prandom_u32 (xorshift32), seedable. */
  random: number;
  /** Submits or discards the ring buffer reservation at `address`; false when it is none. */
  finishRingRecord(address: number, discard: boolean): boolean;
  /** Memory outside the VM that probe_read_* may read (none by default). */
  readonly probe?: ProbeMemory;
  /** The packet buffer of the test run in progress (XDP), for the helpers that move its bounds. */
  packetFrame: PacketFrame | undefined;
  /** The type of the program running (helpers whose answer depends on it: bpf_redirect). */
  programType: number;
  /** What bpf_get_attach_cookie gives the program running (its link's cookie when a hook fired it; else 0). */
  attachCookie?: bigint;
  /** Redirects programs asked for (bpf_redirect, bpf_redirect_map), latest last. */
  readonly redirects: { ifindex: number; flags: number; map?: string; key?: number }[];
}
