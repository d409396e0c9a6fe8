// program.attach(options): one entry for every attach kind, with typed options per kind; without options, the
// target its SEC() name gives (the loader's attachPlan), as libbpf's bpf_program__attach. Returns a Link.

import { openSync } from "node:fs";
import { AttachType, ProgType } from "@bpfkit/asm";
import { type AttachPlan, attachPlan, type Backend, type Fd, type ProgramSpec } from "@bpfkit/loader";
import { KernelBackend } from "../kernel-backend.js";
import { closeFd } from "../libc.js";
import type { Link } from "../link-handle.js";
import { attachCgroup, attachTcx, attachTracing, attachXdp, createLinkOrThrow, type XdpModeName } from "./bpf-link.js";
import { AttachError } from "./errors.js";
import { linkPerfEvent, openPerfEvent, type PerfEventAttr } from "./perf-event.js";
import { attachKprobe, attachKsyscall } from "./probes.js";
import { attachRawTracepoint, attachTracepoint } from "./tracepoint.js";

/** Where to attach, one kind per object; `{}` or nothing: the SEC() name's target. */
export type AttachOptions =
  | { readonly tracepoint: string; readonly cookie?: bigint }
  | { readonly rawTracepoint: string }
  | { readonly kprobe: string; readonly offset?: number; readonly retprobe?: boolean; readonly cookie?: bigint }
  | { readonly ksyscall: string; readonly retprobe?: boolean }
  | { readonly xdp: { readonly ifindex: number; readonly mode?: XdpModeName } }
  | { readonly tcx: { readonly ifindex: number; readonly direction: "ingress" | "egress" } }
  | { readonly cgroup: string; readonly attachType?: number }
  | { readonly perfEvent: Omit<PerfEventAttr, "pid" | "cpu"> & { readonly pid?: number; readonly cpu?: number } }
  | { readonly iter: true }
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
      return attachTracing(kernel, prog, AttachType.TRACE_ITER, `iterator ${program.spec.sectionName}`);
    case "kprobe":
      return attachKprobe(kernel, prog, plan);
    case "ksyscall":
      return attachKsyscall(kernel, prog, plan.syscall, plan.retprobe);
    case "manual":
      throw new AttachError("BAD_TARGET", `prog '${program.spec.name}': ${plan.why}`);
    default:
      throw new AttachError("BAD_TARGET", `prog '${program.spec.name}': ${plan.kind} attachment is not supported yet`);
  }
}

export function attachProgram(backend: Backend, program: AttachableProgram, options: AttachOptions = {}): Link {
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
  if ("xdp" in options) return attachXdp(kernel(), prog, options.xdp.ifindex, options.xdp.mode);
  if ("tcx" in options) return attachTcx(kernel(), prog, options.tcx.ifindex, options.tcx.direction);
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
      closeFd(fd);
    }
  }
  if ("perfEvent" in options) {
    const attr = { pid: -1, cpu: 0, ...options.perfEvent };
    const what = `perf event type ${attr.type} config ${attr.config}`;
    return linkPerfEvent(kernel(), prog, openPerfEvent(attr, what), what);
  }
  if ("iter" in options)
    return createLinkOrThrow(kernel(), { prog, target: 0, attachType: AttachType.TRACE_ITER }, "iterator");
  return attachByPlan(backend, program);
}
