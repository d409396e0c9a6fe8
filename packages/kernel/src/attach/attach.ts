// program.attach(options): one entry for every attach kind, with typed options per kind; without options, the
// target its SEC() name gives (the loader's attachPlan), as libbpf's bpf_program__attach. Returns a Link.

import { closeSync, openSync } from "node:fs";
import { ProgType } from "@bpfkit/asm";
import { type AttachPlan, attachPlan, type Backend, type Fd, type ProgramSpec } from "@bpfkit/loader";
import { attachesByHook, hookLink, hookLinkByPlan } from "../hook-link.js";
import { KernelBackend } from "../kernel-backend.js";
import type { Link } from "../link-handle.js";
import type { MapHandle } from "../map-handle.js";
import {
  attachCgroup,
  attachNetfilter,
  attachTracing,
  attachXdp,
  type NetfilterTarget,
  type XdpModeName,
} from "./bpf-link.js";
import { AttachError } from "./errors.js";
import { attachIterator } from "./iter.js";
import { linkPerfEvent, openPerfEvent, type PerfEventAttr } from "./perf-event.js";
import { attachKprobe, attachKprobeMulti, attachKsyscall } from "./probes.js";
import { attachSockmap, type SockmapAttachName, sockmapAttachName } from "./sockmap.js";
import { attachTc, attachTcxOrTc, type TcDirection } from "./tc.js";
import { attachRawTracepoint, attachTracepoint } from "./tracepoint.js";
import { attachUprobe } from "./uprobe.js";
import { attachUsdt } from "./usdt.js";

/** Where to attach, one kind per object; `{}` or nothing: the SEC() name's target. */
export type AttachOptions =
  | { readonly tracepoint: string; readonly cookie?: bigint }
  | { readonly rawTracepoint: string }
  | { readonly kprobe: string; readonly offset?: number; readonly retprobe?: boolean; readonly cookie?: bigint }
  | { readonly ksyscall: string; readonly retprobe?: boolean }
  /** A function (`func`, plus `offset`) or file offset (`offset` alone) of a binary; `pid` narrows to a process. */
  | {
      readonly uprobe: string;
      readonly func?: string;
      readonly offset?: number;
      readonly retprobe?: boolean;
      readonly pid?: number;
      readonly cookie?: bigint;
    }
  /** A USDT probe of a binary (programs built with <bpf/usdt.bpf.h>); `cookie` is what bpf_usdt_cookie() returns. */
  | {
      readonly usdt: string;
      readonly provider: string;
      readonly name: string;
      readonly pid?: number;
      readonly cookie?: bigint;
    }
  | { readonly xdp: { readonly ifindex: number; readonly mode?: XdpModeName } }
  /** A tcx link; a legacy clsact filter where the kernel has no tcx. */
  | { readonly tcx: { readonly ifindex: number; readonly direction: TcDirection } }
  /** As `tcx`; with `legacy`, always the clsact filter (over netlink), at `priority`/`handle` when given. */
  | {
      readonly tc: {
        readonly ifindex: number;
        readonly direction: TcDirection;
        readonly legacy?: boolean;
        readonly priority?: number;
        readonly handle?: number;
      };
    }
  /**
   * sk_msg / sk_skb programs on a sockmap or sockhash (attach type: the program's expected one by default): a
   * sockmap link, or BPF_PROG_ATTACH with `legacy` or where the kernel has no sockmap links.
   */
  | { readonly sockmap: MapHandle | Fd; readonly attachType?: SockmapAttachName; readonly legacy?: boolean }
  | { readonly cgroup: string; readonly attachType?: number }
  | { readonly perfEvent: Omit<PerfEventAttr, "pid" | "cpu"> & { readonly pid?: number; readonly cpu?: number } }
  | { readonly netfilter: NetfilterTarget }
  /** An iterator (a map iterator's map); read its output with `iteratorText(link)` / `iteratorOutput(link)`. */
  | { readonly iter: true | { readonly map: Fd | MapHandle } }
  | Record<string, never>;

interface AttachableProgram {
  readonly fd: Fd;
  readonly spec: ProgramSpec;
}

function kernelOf(backend: Backend, what: string): KernelBackend {
  if (backend instanceof KernelBackend) return backend;
  throw new AttachError("BAD_TARGET", `${what}: the ${backend.name} backend cannot attach this way`);
}

/** The SEC() name's target (libbpf's auto-attach); AttachError BAD_TARGET when it names none. */
export function attachByPlan(
  backend: Backend,
  program: AttachableProgram,
  plan: AttachPlan = attachPlan(program.spec),
) {
  if (attachesByHook(backend)) return hookLinkByPlan(backend, program, plan); // the VM
  const kernel = kernelOf(backend, `prog '${program.spec.name}'`);
  const prog = program.fd;
  switch (plan.kind) {
    case "tracepoint":
      return attachTracepoint(kernel, prog, plan.category, plan.name);
    case "raw_tp":
      return attachRawTracepoint(kernel, prog, plan.name);
    case "tracing":
      return attachTracing(kernel, prog, program.spec.expectedAttachType, `${program.spec.sectionName} (BTF target)`);
    case "iter":
      return attachIterator(kernel, prog);
    case "kprobe_multi":
      return attachKprobeMulti(kernel, prog, plan.pattern, plan.retprobe);
    case "kprobe":
      return attachKprobe(kernel, prog, plan);
    case "ksyscall":
      return attachKsyscall(kernel, prog, plan.syscall, plan.retprobe);
    case "uprobe":
      if (plan.retprobe && plan.func !== undefined && plan.offset !== 0)
        throw new AttachError("BAD_TARGET", `prog '${program.spec.name}': a uretprobe takes no offset`);
      return attachUprobe(kernel, prog, plan);
    case "usdt":
      return attachUsdt(kernel, prog, plan);
    case "manual":
      throw new AttachError("BAD_TARGET", `prog '${program.spec.name}': ${plan.why}`);
    default:
      throw new AttachError("BAD_TARGET", `prog '${program.spec.name}': ${plan.kind} attachment is not supported yet`);
  }
}

export function attachProgram(backend: Backend, program: AttachableProgram, options: AttachOptions = {}): Link {
  if (attachesByHook(backend)) return hookLink(backend, program, options, () => attachByPlan(backend, program));
  const kernel = () => kernelOf(backend, `prog '${program.spec.name}'`);
  const prog = program.fd;
  if ("tracepoint" in options) {
    const [category, name, ...rest] = options.tracepoint.split("/");
    if (!category || !name || rest.length)
      throw new AttachError("BAD_TARGET", `tracepoint '${options.tracepoint}': CATEGORY/NAME`);
    return attachTracepoint(kernel(), prog, category, name, options.cookie);
  }
  if ("rawTracepoint" in options) return attachRawTracepoint(kernel(), prog, options.rawTracepoint);
  if ("kprobe" in options) return attachKprobe(kernel(), prog, { func: options.kprobe, ...options });
  if ("ksyscall" in options) return attachKsyscall(kernel(), prog, options.ksyscall, options.retprobe ?? false);
  if ("uprobe" in options) return attachUprobe(kernel(), prog, { path: options.uprobe, ...options });
  if ("usdt" in options) {
    const { usdt, provider, name, pid, cookie } = options as Extract<AttachOptions, { usdt: string }>;
    return attachUsdt(kernel(), prog, { path: usdt, provider, name, pid, cookie });
  }
  if ("xdp" in options) return attachXdp(kernel(), prog, options.xdp.ifindex, options.xdp.mode);
  if ("tcx" in options) return attachTcxOrTc(kernel(), prog, options.tcx.ifindex, options.tcx.direction);
  if ("tc" in options) {
    const { ifindex, direction, legacy, ...rest } = options.tc;
    return legacy
      ? attachTc(kernel(), prog, ifindex, direction, rest)
      : attachTcxOrTc(kernel(), prog, ifindex, direction);
  }
  if ("sockmap" in options) {
    const name = options.attachType ?? sockmapAttachName(program.spec.expectedAttachType);
    if (!name) throw new AttachError("BAD_TARGET", `prog '${program.spec.name}': give the socket map attach type`);
    const map = "fd" in options.sockmap ? options.sockmap.fd : options.sockmap;
    return attachSockmap(kernel(), prog, map, name, options.legacy ?? false);
  }
  if ("cgroup" in options) {
    const attachType = options.attachType ?? program.spec.expectedAttachType;
    if (program.spec.type !== ProgType.CGROUP_SKB && attachType === 0 && !options.attachType) {
      throw new AttachError("BAD_TARGET", `prog '${program.spec.name}': give the cgroup attach type`);
    }
    let fd: number;
    try {
      fd = openSync(options.cgroup, "r");
    } catch (error) {
      throw new AttachError("NOT_FOUND", `cgroup ${options.cgroup}: ${(error as Error).message}`, { cause: error });
    }
    try {
      return attachCgroup(kernel(), prog, fd, attachType, options.cgroup);
    } finally {
      closeSync(fd);
    }
  }
  if ("perfEvent" in options) {
    const attr = { pid: -1, cpu: 0, ...options.perfEvent };
    const what = `perf event type ${attr.type} config ${attr.config}`;
    return linkPerfEvent(kernel(), prog, openPerfEvent(attr, what), what);
  }
  if ("netfilter" in options) return attachNetfilter(kernel(), prog, options.netfilter);
  if ("iter" in options) {
    const map = options.iter === true ? undefined : options.iter.map;
    return attachIterator(kernel(), prog, map && "fd" in map ? map.fd : map);
  }
  return attachByPlan(backend, program);
}
