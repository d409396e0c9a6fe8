// Attachments in the VM: a program attached to a named hook (`tracepoint/syscalls/sys_enter_execve`,
// `raw_tp/sys_enter`, `kprobe/do_unlinkat`, `uprobe/./app:main`, `perf_event`, `xdp/1` ...; the loader's
// canonicalHook names them) runs when the host fires that hook with VmBackend.trigger(hook, ctx), in attach order,
// with the context the host gives: a tracepoint's raw record, a raw tracepoint's u64 arguments, a kprobe's or
// uprobe's struct pt_regs (x86-64 layout, built by ptRegs()), a perf event's bpf_perf_event_data, a packet.
// This file keeps the attachments and builds the context bytes; the backend runs the programs.

import { LinkType, ProgType } from "@bpfkit/asm";
import { VmError } from "./errors.js";

/** struct pt_regs of x86-64, in its field order (21 u64). */
const PT_REGS_FIELDS = [
  "r15",
  "r14",
  "r13",
  "r12",
  "bp",
  "bx",
  "r11",
  "r10",
  "r9",
  "r8",
  "ax",
  "cx",
  "dx",
  "si",
  "di",
  "orig_ax",
  "ip",
  "cs",
  "flags",
  "sp",
  "ss",
] as const;
export type PtRegsField = (typeof PT_REGS_FIELDS)[number];
/** Registers of a struct pt_regs; the ones not given are 0. */
export type PtRegsInit = Partial<Record<PtRegsField, bigint | number>>;
export const PT_REGS_SIZE = PT_REGS_FIELDS.length * 8;
/** Where PT_REGS_PARM1..6 read on x86-64 (the function call ABI). */
const ARG_REGISTERS: readonly PtRegsField[] = ["di", "si", "dx", "cx", "r8", "r9"];
/** bpf_perf_event_data: the registers, then sample_period and addr. */
const PERF_EVENT_DATA_SIZE = PT_REGS_SIZE + 16;

/** A struct pt_regs (x86-64) holding `regs`, as a kprobe or uprobe program's context: 168 bytes. */
export function ptRegs(regs: PtRegsInit = {}): Uint8Array {
  const bytes = new Uint8Array(PT_REGS_SIZE);
  const view = new DataView(bytes.buffer);
  PT_REGS_FIELDS.forEach((field, i) => {
    view.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(regs[field] ?? 0)), true);
  });
  return bytes;
}

/**
 * What a hook fires with: the context's bytes as they are; `args`, a raw tracepoint's (or tracing program's) u64
 * arguments, or a probe's function arguments (rdi, rsi, rdx, rcx, r8, r9 of its pt_regs); `regs`, a probe's
 * pt_regs (a perf event's bpf_perf_event_data starts with them). Packet hooks (xdp, tcx, cgroup) take the packet.
 */
export type TriggerContext =
  | Uint8Array
  | { readonly args: readonly (bigint | number)[] }
  | { readonly regs: PtRegsInit; readonly args?: undefined };

/** How a hook family runs: which program types attach to it, what their context is, the link type. */
interface Family {
  readonly progTypes: readonly number[];
  /** `packet`: XDP, tc and cgroup_skb programs get a packet, other cgroup programs their context's bytes. */
  readonly context: "record" | "args" | "regs" | "perf" | "packet";
  readonly linkType: number;
}

const PROBE: Family = { progTypes: [ProgType.KPROBE], context: "regs", linkType: LinkType.PERF_EVENT };
const TCX_LINK = 11; // BPF_LINK_TYPE_TCX (newer than the tables' UAPI headers)
const CGROUP_TYPES = [
  ProgType.CGROUP_SKB,
  ProgType.CGROUP_SOCK,
  ProgType.SOCK_OPS,
  ProgType.CGROUP_DEVICE,
  ProgType.CGROUP_SOCK_ADDR,
  ProgType.CGROUP_SYSCTL,
  ProgType.CGROUP_SOCKOPT,
];

const FAMILIES: Record<string, Family> = {
  tracepoint: { progTypes: [ProgType.TRACEPOINT], context: "record", linkType: LinkType.PERF_EVENT },
  raw_tp: {
    progTypes: [ProgType.RAW_TRACEPOINT, ProgType.RAW_TRACEPOINT_WRITABLE],
    context: "args",
    linkType: LinkType.RAW_TRACEPOINT,
  },
  kprobe: PROBE,
  kretprobe: PROBE,
  ksyscall: PROBE,
  kretsyscall: PROBE,
  uprobe: PROBE,
  uretprobe: PROBE,
  usdt: PROBE,
  perf_event: { progTypes: [ProgType.PERF_EVENT], context: "perf", linkType: LinkType.PERF_EVENT },
  xdp: { progTypes: [ProgType.XDP], context: "packet", linkType: LinkType.XDP },
  tcx: { progTypes: [ProgType.SCHED_CLS], context: "packet", linkType: TCX_LINK },
  cgroup: { progTypes: CGROUP_TYPES, context: "packet", linkType: LinkType.CGROUP },
};

function familyOf(hook: string): Family {
  const family = FAMILIES[hook.split("/")[0]!];
  if (!family) {
    const known = Object.keys(FAMILIES).join(", ");
    throw new VmError("HOOK", `hook '${hook}': the VM has no such hook (kinds: ${known}) (EINVAL)`, { errno: 22 });
  }
  return family;
}

/** One attachment: a link the host holds (its descriptor) or a pin holds. */
export interface VmLink<P> {
  readonly id: number;
  readonly hook: string;
  /** The program it runs (held: closing the program's descriptor does not end the attachment; update swaps it). */
  program: P;
  readonly cookie: bigint;
  readonly linkType: number;
  /** False once detached (BPF_LINK_DETACH): the link stays, the program no longer runs. */
  attached: boolean;
  /** The descriptor is open. */
  open: boolean;
  /** Paths it is pinned at. */
  readonly pins: Set<string>;
}

/** The VM's links by handle and its hooks by name, each hook's links in attach order. */
export class HookTable<P> {
  readonly links = new Map<number, VmLink<P>>();
  private readonly byHook = new Map<string, VmLink<P>[]>();

  /** Checks that a program of `progType` can attach to `hook` (the kernel's EINVAL otherwise). */
  check(hook: string, progType: number, progName: string): number {
    const family = familyOf(hook);
    if (!family.progTypes.includes(progType)) {
      throw new VmError("HOOK", `prog '${progName}' (type ${progType}) cannot attach to '${hook}' (EINVAL)`, {
        errno: 22,
      });
    }
    return family.linkType;
  }

  add(link: VmLink<P>): void {
    this.links.set(link.id, link);
    const list = this.byHook.get(link.hook);
    if (list) list.push(link);
    else this.byHook.set(link.hook, [link]);
  }

  /** The links that run when `hook` fires, in attach order (a name of no hook kind is an error, not silence). */
  attachedTo(hook: string): VmLink<P>[] {
    familyOf(hook);
    return (this.byHook.get(hook) ?? []).filter((l) => l.attached);
  }

  /** Detaches and forgets `link` once neither its descriptor nor a pin holds it. */
  release(link: VmLink<P>): void {
    if (link.open || link.pins.size > 0) return;
    link.attached = false;
    this.links.delete(link.id);
    const list = this.byHook.get(link.hook) ?? [];
    const at = list.indexOf(link);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.byHook.delete(link.hook);
  }

  clear(): void {
    this.links.clear();
    this.byHook.clear();
  }
}

function u64s(values: readonly (bigint | number)[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    view.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(v)), true);
  });
  return bytes;
}

const PACKET_TYPES: readonly number[] = [ProgType.XDP, ProgType.SCHED_CLS, ProgType.CGROUP_SKB];

/** What a program of `progType` on `hook` gets from `ctx`: a packet (XDP, tc, cgroup_skb), else context bytes. */
export function contextBytes(
  hook: string,
  progType: number,
  ctx: TriggerContext | undefined,
): { packet: Uint8Array } | { ctx: Uint8Array } {
  const family = familyOf(hook);
  if (family.context === "packet") {
    if (!(ctx instanceof Uint8Array)) throw new VmError("HOOK", `hook '${hook}' fires with a packet (Uint8Array)`);
    return PACKET_TYPES.includes(progType) ? { packet: ctx } : { ctx };
  }
  if (ctx === undefined) {
    const size = family.context === "regs" ? PT_REGS_SIZE : family.context === "perf" ? PERF_EVENT_DATA_SIZE : 0;
    return { ctx: new Uint8Array(size) };
  }
  if (ctx instanceof Uint8Array) return { ctx };
  switch (family.context) {
    case "args":
      if (ctx.args) return { ctx: u64s(ctx.args) };
      break;
    case "regs":
    case "perf": {
      const regs: PtRegsInit = ctx.args ? Object.fromEntries(ctx.args.map((v, i) => [ARG_REGISTERS[i], v])) : ctx.regs;
      if (ctx.args && ctx.args.length > ARG_REGISTERS.length)
        throw new VmError("HOOK", `hook '${hook}': at most ${ARG_REGISTERS.length} register arguments`);
      const bytes = ptRegs(regs);
      if (family.context === "regs") return { ctx: bytes };
      const data = new Uint8Array(PERF_EVENT_DATA_SIZE);
      data.set(bytes);
      return { ctx: data };
    }
  }
  throw new VmError("HOOK", `hook '${hook}' fires with its raw bytes (a Uint8Array)`);
}
