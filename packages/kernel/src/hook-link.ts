// program.attach() and attachAll() on a backend without kernel links (the VM): the target becomes a hook name
// (@bpfkit/loader's hookOfPlan, `tracepoint/CAT/NAME`, `kprobe/FUNC`, `xdp/IFINDEX` ...) that the backend's
// attachHook takes, and the Link wraps the attachment it returns. The host then fires the hook (`vm.trigger`).

import { bpftoolAttachType } from "@bpfkit/asm";
import { type AttachPlan, type Backend, canonicalHook, type Fd, hookOfPlan, type ProgramSpec } from "@bpfkit/loader";
import type { AttachOptions } from "./attach/attach.js";
import { AttachError } from "./attach/errors.js";
import { Link } from "./link-handle.js";

type HookBackend = Backend & Required<Pick<Backend, "attachHook">>;

interface AttachableProgram {
  readonly fd: Fd;
  readonly spec: ProgramSpec;
}

/** True for backends that attach to named hooks rather than through bpf(2). */
export function attachesByHook(backend: Backend): backend is HookBackend {
  return typeof backend.attachHook === "function";
}

function link(backend: HookBackend, program: AttachableProgram, hook: string, cookie?: bigint): Link {
  const canonical = canonicalHook(hook);
  return new Link(backend, { description: canonical, fd: backend.attachHook(program.fd, canonical, cookie) });
}

/** The SEC() name's target as a hook; AttachError BAD_TARGET for the kinds a hook cannot name. */
export function hookLinkByPlan(backend: HookBackend, program: AttachableProgram, plan: AttachPlan): Link {
  if (plan.kind === "manual") throw new AttachError("BAD_TARGET", `prog '${program.spec.name}': ${plan.why}`);
  const hook = hookOfPlan(plan);
  if (hook === undefined) {
    throw new AttachError(
      "BAD_TARGET",
      `prog '${program.spec.name}': ${plan.kind} attachment is not supported by the ${backend.name} backend`,
    );
  }
  return link(backend, program, hook);
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** `options` as a hook; without options, the SEC() name's target. */
export function hookLink(
  backend: HookBackend,
  program: AttachableProgram,
  options: AttachOptions,
  byPlan: () => Link,
): Link {
  if ("tracepoint" in options) {
    const [category, name, ...rest] = options.tracepoint.split("/");
    if (!category || !name || rest.length)
      throw new AttachError("BAD_TARGET", `tracepoint '${options.tracepoint}': CATEGORY/NAME`);
    return link(backend, program, `tracepoint/${category}/${name}`, options.cookie);
  }
  if ("rawTracepoint" in options) return link(backend, program, `raw_tp/${options.rawTracepoint}`);
  if ("kprobe" in options) {
    const where = `${options.kprobe}${options.offset ? `+${hex(options.offset)}` : ""}`;
    return link(backend, program, `${options.retprobe ? "kretprobe" : "kprobe"}/${where}`, options.cookie);
  }
  if ("ksyscall" in options)
    return link(backend, program, `${options.retprobe ? "kretsyscall" : "ksyscall"}/${options.ksyscall}`);
  if ("xdp" in options) return link(backend, program, `xdp/${options.xdp.ifindex}`);
  if ("tcx" in options) return link(backend, program, `tcx/${options.tcx.direction}/${options.tcx.ifindex}`);
  if ("tc" in options) return link(backend, program, `tcx/${options.tc.direction}/${options.tc.ifindex}`);
  if ("cgroup" in options) {
    const attachType = options.attachType ?? program.spec.expectedAttachType;
    const name = String(bpftoolAttachType(attachType)).replace(/^cgroup_/, "");
    return link(backend, program, `cgroup/${name}:${options.cgroup}`);
  }
  if ("perfEvent" in options) return link(backend, program, "perf_event");
  if (Object.keys(options).length === 0) return byPlan();
  // iterators, socket maps: nothing in the VM fires them
  const kind = Object.keys(options)[0];
  throw new AttachError(
    "BAD_TARGET",
    `prog '${program.spec.name}': ${kind} is not supported by the ${backend.name} backend`,
  );
}
