// Legacy tc attachment, for kernels without tcx (before Linux 6.6) or when asked for: a cls_bpf filter in
// direct-action mode on the clsact qdisc's ingress or egress hook, set up over rtnetlink. The clsact qdisc is
// created when the device has none, and removed with the last of our filters on it, when we created it and no
// other filter is left there. There is no BPF link: the Link's undo deletes the filter by the handle and priority
// the kernel echoed back, so close(), process exit and SIGINT/SIGTERM (link-registry.ts) take it away.
// attachTcxOrTc is the tcx attachment that falls back to this when the kernel refuses the tcx link type.

import type { Fd } from "@bpfkit/loader";
import { HOST_LITTLE_ENDIAN } from "../attr/attr.js";
import type { KernelBackend } from "../kernel-backend.js";
import { Link } from "../link-handle.js";
import {
  attributeString,
  attributeU32,
  NetlinkError,
  type NetlinkMessage,
  parseAttributes,
  RTM_GETTFILTER,
  RtNetlink,
} from "../netlink.js";
import { attachTcx } from "./bpf-link.js";
import { AttachError } from "./errors.js";

export type TcDirection = "ingress" | "egress";

export interface TcAttachOptions {
  /** Filter priority, 1-65535 (default: the kernel picks one, 49152 for the first filter). */
  readonly priority?: number;
  /** Filter handle (default: the kernel picks one). */
  readonly handle?: number;
}

const RTM_NEWQDISC = 36;
const RTM_DELQDISC = 37;
const RTM_NEWTFILTER = 44;
const RTM_DELTFILTER = 45;
const NLM_F_ECHO = 0x8;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLA_F_NESTED = 0x8000;

const TCA_KIND = 1;
const TCA_OPTIONS = 2;
const TCA_MAX = 16;
const TCA_BPF_FD = 6;
const TCA_BPF_NAME = 7;
const TCA_BPF_FLAGS = 8;
const TCA_BPF_ID = 11;
const TCA_BPF_MAX = 11;
const TCA_BPF_FLAG_ACT_DIRECT = 1;

/** clsact sits where the ingress qdisc does (TC_H_INGRESS), handle ffff:, with two hooks as its minor numbers. */
const TC_H_CLSACT = 0xfffffff1;
const CLSACT_HANDLE = 0xffff0000;
const HOOK_PARENT: Record<TcDirection, number> = { ingress: 0xfffffff2, egress: 0xfffffff3 };
/** ETH_P_ALL in network byte order, as tcm_info's low half wants it. */
const ETH_P_ALL_BE = 0x0300;

const ENOENT = 2;
const ENODEV = 19;
const EINVAL = 22;
const EEXIST = 17;
const EOPNOTSUPP = 95;
const ENOTSUPP = 524;

const TCMSG_SIZE = 20;

function tcmsg(ifindex: number, handle: number, parent: number, info: number): Uint8Array {
  const body = new Uint8Array(TCMSG_SIZE);
  const v = new DataView(body.buffer);
  v.setInt32(4, ifindex, HOST_LITTLE_ENDIAN);
  v.setUint32(8, handle >>> 0, HOST_LITTLE_ENDIAN);
  v.setUint32(12, parent >>> 0, HOST_LITTLE_ENDIAN);
  v.setUint32(16, info >>> 0, HOST_LITTLE_ENDIAN);
  return body;
}

/** One netlink attribute: header, payload, padding to 4 bytes. */
function attr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array((4 + payload.length + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + payload.length, HOST_LITTLE_ENDIAN);
  v.setUint16(2, type, HOST_LITTLE_ENDIAN);
  out.set(payload, 4);
  return out;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, HOST_LITTLE_ENDIAN);
  return out;
}

const cString = (text: string) => new TextEncoder().encode(`${text}\0`);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function withNetlink<T>(run: (nl: RtNetlink) => T): T {
  const nl = new RtNetlink();
  try {
    return run(nl);
  } finally {
    nl.close();
  }
}

/** Where a filter of ours is, as the kernel knows it (what RTM_DELTFILTER needs). */
interface FilterAddress {
  readonly ifindex: number;
  readonly parent: number;
  readonly handle: number;
  readonly priority: number;
}

function filterOf(msg: NetlinkMessage): { address: FilterAddress; progId: number | undefined } | undefined {
  if (msg.payload.length < TCMSG_SIZE) return undefined;
  const v = new DataView(msg.payload.buffer, msg.payload.byteOffset, msg.payload.byteLength);
  const attrs = parseAttributes(msg.payload.subarray(TCMSG_SIZE), TCA_MAX);
  const kind = attrs.get(TCA_KIND);
  if (!kind || attributeString(kind) !== "bpf") return undefined;
  const options = attrs.get(TCA_OPTIONS);
  const id = options ? parseAttributes(options, TCA_BPF_MAX).get(TCA_BPF_ID) : undefined;
  return {
    address: {
      ifindex: v.getInt32(4, HOST_LITTLE_ENDIAN),
      handle: v.getUint32(8, HOST_LITTLE_ENDIAN),
      parent: v.getUint32(12, HOST_LITTLE_ENDIAN),
      priority: v.getUint32(16, HOST_LITTLE_ENDIAN) >>> 16,
    },
    progId: id ? attributeU32(id) : undefined,
  };
}

/** The clsact qdiscs this process created, by ifindex, and how many of our filters are on each. */
const clsact = new Map<number, { created: boolean; filters: number }>();

/** Creates the clsact qdisc unless the device has one; true when this call created it. */
function ensureClsact(nl: RtNetlink, ifindex: number): boolean {
  try {
    nl.request(
      RTM_NEWQDISC,
      concat(tcmsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0), attr(TCA_KIND, cString("clsact"))),
      NLM_F_CREATE | NLM_F_EXCL,
    );
    return true;
  } catch (error) {
    if (error instanceof NetlinkError && error.errno === EEXIST) return false;
    throw error;
  }
}

/** Any filter left on the device's clsact hooks (ours or anyone's). */
function clsactHasFilters(nl: RtNetlink, ifindex: number): boolean {
  for (const parent of Object.values(HOOK_PARENT)) {
    try {
      if (nl.dump(RTM_GETTFILTER, tcmsg(ifindex, 0, parent, 0)).length > 0) return true;
    } catch (error) {
      if (error instanceof NetlinkError && (error.errno === EINVAL || error.errno === ENOENT)) continue;
      throw error;
    }
  }
  return false;
}

function deleteFilter(nl: RtNetlink, filter: FilterAddress): void {
  try {
    nl.request(
      RTM_DELTFILTER,
      concat(
        tcmsg(filter.ifindex, filter.handle, filter.parent, (filter.priority << 16) | ETH_P_ALL_BE),
        attr(TCA_KIND, cString("bpf")),
      ),
    );
  } catch (error) {
    // Gone already: the device (ENODEV), its qdisc, or the filter (someone deleted it).
    if (error instanceof NetlinkError && [ENOENT, ENODEV, EINVAL].includes(error.errno)) return;
    throw error;
  }
}

/** Our filter is gone: drops the qdisc we created when no filter is left on it. */
function releaseClsact(nl: RtNetlink, ifindex: number): void {
  const entry = clsact.get(ifindex);
  if (!entry) return;
  entry.filters--;
  if (entry.filters > 0) return;
  clsact.delete(ifindex);
  if (!entry.created || clsactHasFilters(nl, ifindex)) return;
  try {
    nl.request(RTM_DELQDISC, concat(tcmsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0), attr(TCA_KIND, cString("clsact"))));
  } catch (error) {
    if (error instanceof NetlinkError && [ENOENT, ENODEV, EINVAL].includes(error.errno)) return;
    throw error;
  }
}

/**
 * Attaches a SCHED_CLS program as a direct-action cls_bpf filter on the clsact `direction` hook of `ifindex`,
 * creating the clsact qdisc when missing. The filter is named `PROG:[ID]` (as libbpf's bpf_tc_attach names it,
 * what `tc filter show` and `bpftool net show` print).
 */
export function attachTc(
  backend: KernelBackend,
  prog: Fd,
  ifindex: number,
  direction: TcDirection,
  options: TcAttachOptions = {},
  why = "legacy clsact filter",
): Link {
  const description = `tc ${direction} on ifindex ${ifindex} (${why})`;
  const priority = options.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > 0xffff)
    throw new AttachError("BAD_TARGET", `${description}: priority ${priority} is not in 1-65535`);
  const info = backend.progInfo(prog);
  const parent = HOOK_PARENT[direction];
  try {
    return withNetlink((nl) => {
      const created = ensureClsact(nl, ifindex);
      const entry = clsact.get(ifindex) ?? { created: false, filters: 0 };
      entry.created ||= created;
      clsact.set(ifindex, entry);
      entry.filters++;
      let filter: FilterAddress;
      try {
        const echoed = nl.request(
          RTM_NEWTFILTER,
          concat(
            tcmsg(ifindex, options.handle ?? 0, parent, (priority << 16) | ETH_P_ALL_BE),
            attr(TCA_KIND, cString("bpf")),
            attr(
              TCA_OPTIONS | NLA_F_NESTED,
              concat(
                attr(TCA_BPF_FD, u32(prog.value)),
                attr(TCA_BPF_NAME, cString(`${info.name}:[${info.id}]`)),
                attr(TCA_BPF_FLAGS, u32(TCA_BPF_FLAG_ACT_DIRECT)),
              ),
            ),
          ),
          NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO,
        );
        filter = echoedFilter(nl, echoed, ifindex, parent, info.id);
      } catch (error) {
        releaseClsact(nl, ifindex);
        throw error;
      }
      return new Link(backend, {
        description,
        undo: () =>
          withNetlink((undoNl) => {
            deleteFilter(undoNl, filter);
            releaseClsact(undoNl, ifindex);
          }),
      });
    });
  } catch (error) {
    if (!(error instanceof NetlinkError)) throw error;
    throw new AttachError(error.errno === ENODEV ? "NOT_FOUND" : "SYSCALL", `${description}: ${error.message}`, {
      errno: error.errno,
      cause: error,
    });
  }
}

/** The new filter's handle and priority: from the kernel's echo, else the last bpf filter running `progId`. */
function echoedFilter(
  nl: RtNetlink,
  echoed: readonly NetlinkMessage[],
  ifindex: number,
  parent: number,
  progId: number,
): FilterAddress {
  const fromEcho = echoed.filter((m) => m.type === RTM_NEWTFILTER).map(filterOf);
  const found =
    fromEcho.find((f) => f?.address.handle) ??
    nl
      .dump(RTM_GETTFILTER, tcmsg(ifindex, 0, parent, 0))
      .map(filterOf)
      .filter((f) => f?.progId === progId && f.address.handle)
      .at(-1);
  if (!found) throw new NetlinkError("the new tc filter is not listed", ENOENT);
  return { ...found.address, ifindex, parent };
}

/** What BPF_LINK_CREATE answers for the tcx attach types on a kernel that has none (before 6.6). */
const NO_TCX = new Set([EINVAL, EOPNOTSUPP, ENOTSUPP]);

/**
 * tcx ingress/egress through a BPF link; where the kernel has no tcx (the link is refused with EINVAL or
 * EOPNOTSUPP), a legacy clsact filter instead (attachTc).
 */
export function attachTcxOrTc(backend: KernelBackend, prog: Fd, ifindex: number, direction: TcDirection): Link {
  try {
    return attachTcx(backend, prog, ifindex, direction);
  } catch (error) {
    if (!(error instanceof AttachError) || error.errno === undefined || !NO_TCX.has(error.errno)) throw error;
    try {
      return attachTc(backend, prog, ifindex, direction, {}, "legacy clsact filter: the kernel has no tcx");
    } catch (legacy) {
      if (!(legacy instanceof AttachError)) throw legacy;
      throw new AttachError(legacy.code, `${legacy.message} (after the tcx link failed: ${error.message})`, {
        errno: legacy.errno,
        cause: legacy,
      });
    }
  }
}
