// `bpftool feature probe [kernel | dev NAME] [full] [unprivileged] [macros [prefix P]]`: what the kernel (or a
// device's offload) supports, section by section as bpftool 7.1 prints it. Program types, map types and helpers
// are those libbpf 1.1 names; the answers are libbpf 1.1's (its helper probe, for one, counts a helper the kernel
// knows as available for every program type, and cannot tell for tracing, ext, lsm and struct_ops programs).
import {
  BPFTOOL_HELPER_NAMES,
  BPFTOOL_MAP_TYPE_NAMES,
  BPFTOOL_PROG_TYPE_NAMES,
  HelperId,
  MapType,
  ProgType,
} from "@bpfkit/asm";
import {
  Capability,
  capabilitySupported,
  DeviceFeatures,
  dropEffectiveCapabilities,
  effectiveCapabilities,
  KernelFeatures,
} from "@bpfkit/kernel";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, strerror } from "../../cli/errors.js";
import { ifNameToIndex } from "../../cli/netdev.js";
import { ProbePrinter } from "./printer.js";
import { printSystemConfig } from "./system-config.js";

const ENODEV = 19;

/** Helpers that print to the kernel log: probed only with `full`. */
const NOISY_HELPERS = new Set<number>([HelperId.trace_printk, HelperId.trace_vprintk, HelperId.probe_write_user]);
/** Program types libbpf 1.1's helper probe gives up on (they load only with an attach target). */
const NO_HELPER_PROBE = new Set<number>([ProgType.TRACING, ProgType.EXT, ProgType.LSM, ProgType.STRUCT_OPS]);
/** What can be offloaded to a device. */
const DEVICE_PROG_TYPES = new Set<number>([ProgType.SCHED_CLS, ProgType.XDP]);
const DEVICE_MAP_TYPES = new Set<number>([MapType.HASH, MapType.ARRAY]);

interface ProbeRequest {
  target: "unspec" | "kernel" | "device";
  ifindex: number;
  full: boolean;
  unprivileged: boolean;
  /** undefined: no `macros`. */
  macroPrefix: string | undefined;
}

function parse(args: Args): ProbeRequest {
  const req: ProbeRequest = { target: "unspec", ifindex: 0, full: false, unprivileged: false, macroPrefix: undefined };
  while (!args.done) {
    if (args.is("kernel")) {
      if (req.target !== "unspec") throw new CliError("component to probe already specified");
      req.target = "kernel";
      args.skip();
    } else if (args.is("dev")) {
      args.skip();
      if (req.target !== "unspec" || req.ifindex !== 0) throw new CliError("component to probe already specified");
      args.reqArgs(1);
      req.target = "device";
      const name = args.next();
      const ifindex = ifNameToIndex(name);
      if (ifindex === undefined) throw new CliError(`unrecognized netdevice '${name}': ${strerror(ENODEV)}`);
      req.ifindex = ifindex;
    } else if (args.is("full")) {
      req.full = true;
      args.skip();
    } else if (args.is("macros") && req.macroPrefix === undefined) {
      req.macroPrefix = "";
      args.skip();
    } else if (args.is("prefix")) {
      if (req.macroPrefix === undefined) throw new CliError("'prefix' argument can only be use after 'macros'");
      if (req.macroPrefix !== "") throw new CliError("'prefix' already defined");
      args.skip();
      args.reqArgs(1);
      req.macroPrefix = args.next();
    } else if (args.is("unprivileged")) {
      req.unprivileged = true;
      args.skip();
    } else {
      throw new CliError(`expected no more arguments, 'kernel', 'dev', 'macros' or 'prefix', got: '${args.peek()}'?`);
    }
  }
  return req;
}

/**
 * bpftool's handle_perms: a privileged probe needs all of CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON
 * (only CAP_SYS_ADMIN on kernels without CAP_BPF); an unprivileged one drops those it has. Returns the function
 * that gives them back.
 */
function handlePermissions(unprivileged: boolean): (() => void) | undefined {
  const caps = [
    { cap: Capability.SYS_ADMIN, name: "CAP_SYS_ADMIN" },
    { cap: Capability.BPF, name: "CAP_BPF" },
    { cap: Capability.NET_ADMIN, name: "CAP_NET_ADMIN" },
    { cap: Capability.PERFMON, name: "CAP_PERFMON" },
  ];
  const adminOnly = !capabilitySupported(Capability.BPF);
  const effective = effectiveCapabilities();
  const held: number[] = [];
  const missing: string[] = [];
  for (const { cap, name } of adminOnly ? caps.slice(0, 1) : caps) {
    if (effective & (1n << BigInt(cap))) held.push(cap);
    else missing.push(name);
  }
  if (unprivileged) return held.length > 0 ? dropEffectiveCapabilities(held) : undefined;
  if (held.length === caps.length || (adminOnly && held.length > 0)) return undefined;
  if (adminOnly)
    throw new CliError("missing CAP_SYS_ADMIN, required for full feature probing; run as root or use 'unprivileged'");
  throw new CliError(
    `missing ${missing.map((m) => `${m}, `).join("")}required for full feature probing; run as root or use 'unprivileged'`,
  );
}

/** Answers for the kernel (libbpf 1.1's probes) or for a device's offload. */
interface Answers {
  bpfSyscall(): boolean;
  progType(type: number): boolean;
  mapType(type: number): boolean;
  helper(progType: number, helper: number): boolean;
  misc(name: "largeInsnLimit" | "boundedLoops" | "isaV2" | "isaV3"): boolean;
}

function kernelAnswers(features: KernelFeatures): Answers {
  return {
    bpfSyscall: () => features.bpfSyscall,
    progType: (t) => features.hasProgType(t),
    mapType: (t) => features.hasMapType(t),
    helper: (t, h) => !NO_HELPER_PROBE.has(t) && features.helperSupport(t, h) !== "unknown",
    misc: (name) => features[name],
  };
}

function deviceAnswers(features: KernelFeatures, device: DeviceFeatures): Answers {
  return {
    bpfSyscall: () => features.bpfSyscall,
    progType: (t) => device.hasProgType(t),
    mapType: (t) => device.hasMapType(t),
    helper: (t, h) => device.hasHelper(t, h),
    misc: (name) => device.misc(name),
  };
}

/** Names libbpf 1.1 knows, from 1 up (bpftool stops at the first id without a name). */
function named(names: readonly string[]): [number, string][] {
  const out: [number, string][] = [];
  for (let id = 1; id < names.length && names[id] !== undefined; id++) out.push([id, names[id] as string]);
  return out;
}

const HELPERS_MACRO_COMMENT = (p: string) =>
  "/*\n" +
  ` * Use ${p}HAVE_PROG_TYPE_HELPER(prog_type_name, helper_name)\n` +
  " * to determine if <helper_name> is available for <prog_type_name>,\n" +
  " * e.g.\n" +
  ` *\t#if ${p}HAVE_PROG_TYPE_HELPER(xdp, bpf_redirect)\n` +
  " *\t\t// do stuff with this helper\n" +
  " *\t#elif\n" +
  " *\t\t// use a workaround\n" +
  " *\t#endif\n" +
  " */\n" +
  `#define ${p}HAVE_PROG_TYPE_HELPER(prog_type, helper)\t\\\n` +
  `\t${p}BPF__PROG_TYPE_ ## prog_type ## __HELPER_ ## helper\n`;

function run(p: ProbePrinter, req: ProbeRequest, answers: Answers): void {
  const device = req.target === "device";
  p.json?.startObject();
  if (!device) {
    p.startSection("system_config", "Scanning system configuration...", "/*** Misc kernel config items ***/");
    printSystemConfig(p);
    p.endSection();
  }

  p.startSection("syscall_config", "Scanning system call availability...", "/*** System call availability ***/");
  const syscall = answers.bpfSyscall();
  p.bool("have_bpf_syscall", "bpf() syscall", "BPF_SYSCALL", syscall);
  p.endSection();
  if (!syscall) {
    p.json?.endObject();
    return;
  }

  const supported = new Set<number>();
  p.startSection("program_types", "Scanning eBPF program types...", "/*** eBPF program types ***/");
  for (const [type, name] of named(BPFTOOL_PROG_TYPE_NAMES)) {
    if (device && !DEVICE_PROG_TYPES.has(type)) continue;
    const ok = answers.progType(type);
    if (ok) supported.add(type);
    p.bool(`have_${name}_prog_type`, `eBPF program_type ${name}`, `${name}_prog_type`.toUpperCase(), ok);
  }
  p.endSection();

  p.startSection("map_types", "Scanning eBPF map types...", "/*** eBPF map types ***/");
  for (const [type, name] of named(BPFTOOL_MAP_TYPE_NAMES)) {
    if (device && !DEVICE_MAP_TYPES.has(type)) continue;
    p.bool(`have_${name}_map_type`, `eBPF map_type ${name}`, `${name}_map_type`.toUpperCase(), answers.mapType(type));
  }
  p.endSection();

  p.startSection("helpers", "Scanning eBPF helper functions...", "/*** eBPF helper functions ***/");
  if (p.macros) p.print(HELPERS_MACRO_COMMENT(p.prefix));
  const helpers = named(BPFTOOL_HELPER_NAMES).filter(([id]) => req.full || !NOISY_HELPERS.has(id));
  for (const [type, typeName] of named(BPFTOOL_PROG_TYPE_NAMES)) {
    if (device && !DEVICE_PROG_TYPES.has(type)) continue;
    const typeSupported = supported.has(type);
    if (p.json) p.json.name(`${typeName}_available_helpers`).startArray();
    else if (!p.macros) p.print(`eBPF helpers supported for program type ${typeName}:`);
    let any = false;
    let text = "";
    for (const [id, helper] of helpers) {
      const ok = typeSupported && answers.helper(type, id);
      any ||= ok;
      if (p.json) {
        if (ok) p.json.string(helper);
      } else if (p.macros) {
        text += `#define ${p.prefix}BPF__PROG_TYPE_${typeName}__HELPER_${helper} ${ok ? "1" : "0"}\n`;
      } else if (ok) {
        text += `\n\t- ${helper}`;
      }
    }
    if (p.json) {
      p.json.endArray();
      continue;
    }
    if (!p.macros) {
      text += "\n";
      if (!any)
        text += typeSupported
          ? "\tCould not determine which helpers are available\n"
          : "\tProgram type not supported\n";
    }
    p.print(text);
  }
  p.endSection();

  p.startSection("misc", "Scanning miscellaneous eBPF features...", "/*** eBPF misc features ***/");
  p.bool("have_large_insn_limit", "Large program size limit", "LARGE_INSN_LIMIT", answers.misc("largeInsnLimit"));
  p.bool("have_bounded_loops", "Bounded loop support", "BOUNDED_LOOPS", answers.misc("boundedLoops"));
  p.bool("have_v2_isa_extension", "ISA extension v2", "V2_ISA_EXTENSION", answers.misc("isaV2"));
  p.bool("have_v3_isa_extension", "ISA extension v3", "V3_ISA_EXTENSION", answers.misc("isaV3"));
  p.endSection();
  p.json?.endObject();
}

export async function probe(ctx: Context, args: Args): Promise<number> {
  const req = parse(args);
  const restore = handlePermissions(req.unprivileged);
  try {
    // unprivileged answers must not come from (or go into) the run's privileged cache
    const features = req.unprivileged ? new KernelFeatures() : (await ctx.backend()).features();
    const answers =
      req.target === "device" ? deviceAnswers(features, new DeviceFeatures(req.ifindex)) : kernelAnswers(features);
    run(new ProbePrinter(ctx, req.macroPrefix), req, answers);
  } finally {
    restore?.();
  }
  return 0;
}
