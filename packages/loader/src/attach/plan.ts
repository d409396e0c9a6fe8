// Where a program attaches, read from its SEC() name the way libbpf's auto-attach (bpf_program__attach and the
// attach_* functions of its section table) reads it: `tracepoint/syscalls/sys_enter_getppid`, `raw_tp/sys_enter`,
// `kprobe/do_unlinkat+8`, `uprobe/./app:main`, `usdt/./app:provider:probe`, `fentry/...` and `iter/...` (BTF
// targets resolved at load time). A bare section (`kprobe`, `tracepoint`) and the kinds that need a target from the
// caller (XDP, tc, cgroup, socket maps, perf events) have no auto-attach target: attachAll skips them, as libbpf
// does, and `program.attach(options)` takes the target.

import type { ProgramSpec } from "../object/spec.js";

export type AttachPlan =
  | { readonly kind: "tracepoint"; readonly category: string; readonly name: string }
  | { readonly kind: "raw_tp"; readonly name: string }
  /** tp_btf, fentry, fexit, fmod_ret, lsm, freplace: the target was given to the kernel at load time. */
  | { readonly kind: "tracing" }
  | { readonly kind: "iter" }
  | { readonly kind: "kprobe"; readonly func: string; readonly offset: number; readonly retprobe: boolean }
  | { readonly kind: "kprobe_multi"; readonly pattern: string; readonly retprobe: boolean }
  | { readonly kind: "ksyscall"; readonly syscall: string; readonly retprobe: boolean }
  | {
      readonly kind: "uprobe";
      readonly path: string;
      /** Symbol to resolve in the binary; undefined when the section gives a raw offset. */
      readonly func: string | undefined;
      readonly offset: number;
      readonly retprobe: boolean;
    }
  | { readonly kind: "usdt"; readonly path: string; readonly provider: string; readonly name: string }
  | { readonly kind: "struct_ops" }
  /** No auto-attach: the caller names the target (`why` says what it needs), or the section is bare. */
  | { readonly kind: "manual"; readonly why: string };

/** The part after the first `/`, or undefined for a bare section name. */
function argument(section: string): string | undefined {
  const slash = section.indexOf("/");
  return slash < 0 || slash === section.length - 1 ? undefined : section.slice(slash + 1);
}

/** `func`, `func+off` or `func+0x10` (libbpf's "%m[a-zA-Z0-9_.]+%li"). */
function symbolAndOffset(text: string): { symbol: string; offset: number } | undefined {
  const match = /^([A-Za-z0-9_.@]+)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(text);
  if (!match) return undefined;
  return { symbol: match[1]!, offset: match[2] === undefined ? 0 : Number(match[2]) };
}

const bare = (section: string): AttachPlan => ({
  kind: "manual",
  why: `SEC("${section}") names no target to attach to`,
});

/** What auto-attach does with `program`, or why it does nothing. */
export function attachPlan(program: Pick<ProgramSpec, "sectionName" | "secPattern" | "type">): AttachPlan {
  const section = program.sectionName.replace(/^\?/, "");
  const pattern = program.secPattern ?? "";
  const stem = pattern.replace(/[+/]$/, "");
  const arg = argument(section);
  switch (stem) {
    case "tracepoint":
    case "tp":
    case "tracepoint.s":
    case "tp.s": {
      const parts = arg?.split("/");
      if (parts?.length !== 2 || !parts[0] || !parts[1]) return bare(section);
      return { kind: "tracepoint", category: parts[0], name: parts[1] };
    }
    case "raw_tracepoint":
    case "raw_tp":
    case "raw_tracepoint.w":
    case "raw_tp.w":
    case "raw_tracepoint.s":
    case "raw_tp.s":
      return arg ? { kind: "raw_tp", name: arg } : bare(section);
    case "tp_btf":
    case "tp_btf.s":
    case "fentry":
    case "fexit":
    case "fmod_ret":
    case "fentry.s":
    case "fexit.s":
    case "fmod_ret.s":
    case "freplace":
    case "lsm":
    case "lsm.s":
      return { kind: "tracing" };
    case "iter":
    case "iter.s":
      return { kind: "iter" };
    case "kprobe":
    case "kretprobe": {
      const target = arg === undefined ? undefined : symbolAndOffset(arg);
      if (!target) return bare(section);
      return { kind: "kprobe", func: target.symbol, offset: target.offset, retprobe: stem === "kretprobe" };
    }
    case "kprobe.multi":
    case "kretprobe.multi":
      return arg ? { kind: "kprobe_multi", pattern: arg, retprobe: stem === "kretprobe.multi" } : bare(section);
    case "ksyscall":
    case "kretsyscall":
      return arg ? { kind: "ksyscall", syscall: arg, retprobe: stem === "kretsyscall" } : bare(section);
    case "uprobe":
    case "uretprobe":
    case "uprobe.s":
    case "uretprobe.s": {
      // path:func[+offset] or path:offset; the path may itself contain ':' only before the last one.
      const colon = arg?.lastIndexOf(":") ?? -1;
      if (arg === undefined || colon <= 0) return bare(section);
      const path = arg.slice(0, colon);
      const where = arg.slice(colon + 1);
      const retprobe = stem.startsWith("uretprobe");
      if (/^(0x[0-9a-fA-F]+|\d+)$/.test(where))
        return { kind: "uprobe", path, func: undefined, offset: Number(where), retprobe };
      const target = symbolAndOffset(where);
      if (!target) return bare(section);
      return { kind: "uprobe", path, func: target.symbol, offset: target.offset, retprobe };
    }
    case "usdt":
    case "usdt.s": {
      const parts = arg?.split(":");
      if (parts?.length !== 3 || parts.some((p) => p === "")) return bare(section);
      return { kind: "usdt", path: parts[0]!, provider: parts[1]!, name: parts[2]! };
    }
    case "struct_ops":
    case "struct_ops.s":
      return { kind: "struct_ops" };
    default:
      return { kind: "manual", why: `SEC("${section}") programs attach to a target the caller names` };
  }
}
