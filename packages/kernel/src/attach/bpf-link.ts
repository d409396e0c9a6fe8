// Attachments that are a plain BPF_LINK_CREATE: XDP on an interface, tcx ingress/egress, cgroup programs, BTF
// targets given at load time (tp_btf, fentry/fexit/fmod_ret, lsm, freplace), iterators and netfilter.

import { AttachType } from "@bpfkit/asm";
import { type Fd, findSectionDef, type LinkCreateAttrs } from "@bpfkit/loader";
import type { KernelBackend } from "../kernel-backend.js";
import { Link } from "../link-handle.js";
import { AttachError } from "./errors.js";

/** XDP_FLAGS_*: which XDP mode (default: whatever the driver offers, native before generic). */
export const XdpMode = { auto: 0, generic: 2, native: 4, offload: 8 } as const;
export type XdpModeName = keyof typeof XdpMode;

/** errnos of a kernel that lacks a kind of link: EOPNOTSUPP, and the kernel's own ENOTSUPP. */
const NO_SUCH_LINK = new Set([95, 524]);

/**
 * BPF_LINK_CREATE as a Link, or an AttachError naming the attachment. `missingFeature` says what a kernel that
 * refuses this kind of link (EOPNOTSUPP/ENOTSUPP) lacks: the error is then NO_KERNEL_FEATURE.
 */
export function createLinkOrThrow(
  backend: KernelBackend,
  attrs: LinkCreateAttrs,
  description: string,
  missingFeature?: string,
): Link {
  try {
    return new Link(backend, { description, fd: backend.createLink(attrs) });
  } catch (error) {
    const errno = (error as { errno?: number }).errno;
    const message = (error as Error).message;
    if (missingFeature !== undefined && errno !== undefined && NO_SUCH_LINK.has(errno)) {
      throw new AttachError("NO_KERNEL_FEATURE", `${description}: ${missingFeature}: ${message}`, {
        errno,
        cause: error,
      });
    }
    // ENODEV: no such interface; EBADF: the target descriptor is not one.
    const code = errno === 19 ? "NOT_FOUND" : "SYSCALL";
    const hint =
      errno === 1 && attrs.attachType >= AttachType.TRACE_FENTRY && attrs.attachType <= AttachType.MODIFY_RETURN
        ? " (BPF trampolines are refused here: lockdown, or no CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"
        : "";
    throw new AttachError(code, `${description}: ${message}${hint}`, { errno, cause: error });
  }
}

export function attachXdp(backend: KernelBackend, prog: Fd, ifindex: number, mode: XdpModeName = "auto"): Link {
  return createLinkOrThrow(
    backend,
    { prog, target: ifindex, attachType: AttachType.XDP, flags: XdpMode[mode] },
    `xdp on ifindex ${ifindex}${mode === "auto" ? "" : ` (${mode})`}`,
  );
}

export function attachTcx(backend: KernelBackend, prog: Fd, ifindex: number, direction: "ingress" | "egress"): Link {
  // Newer than the UAPI headers asm's tables come from: the loader's section table (libbpf HEAD) knows them.
  const attachType = findSectionDef(`tcx/${direction}`)!.attachType;
  return createLinkOrThrow(backend, { prog, target: ifindex, attachType }, `tcx ${direction} on ifindex ${ifindex}`);
}

export function attachCgroup(
  backend: KernelBackend,
  prog: Fd,
  cgroupFd: number,
  attachType: number,
  path: string,
): Link {
  return createLinkOrThrow(
    backend,
    { prog, target: cgroupFd, attachType },
    `cgroup ${path} (attach type ${attachType})`,
  );
}

/** A program loaded with its BTF target (attach_btf_id): the link needs no target of its own. */
export function attachTracing(backend: KernelBackend, prog: Fd, attachType: number, what: string): Link {
  return createLinkOrThrow(backend, { prog, target: 0, attachType }, what);
}

/** Netfilter hooks (enum nf_inet_hooks) and the protocol families a netfilter link takes. */
export const NetfilterHook = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 } as const;
export const NetfilterFamily = { ipv4: 2, ipv6: 10 } as const;

export interface NetfilterTarget {
  readonly family: keyof typeof NetfilterFamily;
  readonly hook: keyof typeof NetfilterHook;
  /** Order among the hook's functions (lower first); the kernel refuses the extremes INT_MIN and INT_MAX. */
  readonly priority: number;
  /** BPF_F_NETFILTER_IP_DEFRAG: see defragmented packets. */
  readonly defrag?: boolean;
}

export function attachNetfilter(backend: KernelBackend, prog: Fd, target: NetfilterTarget): Link {
  const netfilter = {
    pf: NetfilterFamily[target.family],
    hooknum: NetfilterHook[target.hook],
    priority: target.priority,
    flags: target.defrag ? 1 : 0,
  };
  const attachType = findSectionDef("netfilter")!.attachType;
  const what = `netfilter ${target.family} ${target.hook} priority ${target.priority}`;
  return createLinkOrThrow(backend, { prog, target: 0, attachType, netfilter }, what);
}
