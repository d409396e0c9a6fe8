// Hook names: where a program attaches in a backend without kernel links (the VM), as one SEC()-style string,
// `tracepoint/CAT/NAME`, `raw_tp/NAME`, `kprobe/FUNC[+0xOFF]`, `uprobe/PATH:FUNC`, `usdt/PATH:PROVIDER:NAME`,
// `perf_event`, `xdp/IFINDEX` ... The host fires a hook by the same name (`vm.trigger(hook, ctx)`), so the names
// are canonical: `tp/a/b` and `tracepoint/a/b` are one hook, as are `raw_tracepoint/x` and `raw_tp/x`.

import { findSectionDef } from "../sections/section-defs.js";
import { type AttachPlan, attachPlan } from "./plan.js";

const hex = (n: number) => `0x${n.toString(16)}`;

/** The hook an auto-attach plan names, or undefined for the kinds that have none (BTF targets, manual, ...). */
export function hookOfPlan(plan: AttachPlan): string | undefined {
  switch (plan.kind) {
    case "tracepoint":
      return `tracepoint/${plan.category}/${plan.name}`;
    case "raw_tp":
      return `raw_tp/${plan.name}`;
    case "kprobe":
      return `${plan.retprobe ? "kretprobe" : "kprobe"}/${plan.func}${plan.offset ? `+${hex(plan.offset)}` : ""}`;
    case "ksyscall":
      return `${plan.retprobe ? "kretsyscall" : "ksyscall"}/${plan.syscall}`;
    case "uprobe": {
      const where =
        plan.func === undefined ? hex(plan.offset) : `${plan.func}${plan.offset ? `+${hex(plan.offset)}` : ""}`;
      return `${plan.retprobe ? "uretprobe" : "uprobe"}/${plan.path}:${where}`;
    }
    case "usdt":
      return `usdt/${plan.path}:${plan.provider}:${plan.name}`;
    default:
      return undefined;
  }
}

/**
 * The canonical form of a hook name: a SEC()-style name with an auto-attach target is rewritten as hookOfPlan
 * writes it (aliases, offsets in hex, sleepable suffixes dropped); any other name (`perf_event`, `xdp/1`) is kept.
 */
export function canonicalHook(hook: string): string {
  const def = findSectionDef(hook);
  if (def === undefined) return hook;
  return hookOfPlan(attachPlan({ sectionName: hook, secPattern: def.pattern, type: def.progType })) ?? hook;
}
