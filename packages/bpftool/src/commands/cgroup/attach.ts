// `bpftool cgroup attach CGROUP ATTACH_TYPE PROG [multi|override]` and `cgroup detach CGROUP ATTACH_TYPE PROG`.
import { closeSync, openSync } from "node:fs";
import { BPFTOOL_ATTACH_TYPE_NAMES } from "@bpfkit/asm";
import { type Args, isPrefix } from "../../cli/args.js";
import { type Context, VM_NO_ATTACH } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { resolveProg } from "../../cli/prog-spec.js";

const BPF_F_ALLOW_OVERRIDE = 1;
const BPF_F_ALLOW_MULTI = 2;

/** The short names bpftool still takes (as prefixes) besides libbpf's, by attach type. */
const INPUT_NAMES: Readonly<Record<number, string>> = {
  0: "ingress",
  1: "egress",
  2: "sock_create",
  3: "sock_ops",
  6: "device",
  8: "bind4",
  9: "bind6",
  10: "connect4",
  11: "connect6",
  12: "post_bind4",
  13: "post_bind6",
  14: "sendmsg4",
  15: "sendmsg6",
  18: "sysctl",
  19: "recvmsg4",
  20: "recvmsg6",
  21: "getsockopt",
  22: "setsockopt",
  23: "raw_tp",
  24: "fentry",
  25: "fexit",
  26: "mod_ret",
  29: "getpeername4",
  30: "getpeername6",
  31: "getsockname4",
  32: "getsockname6",
  34: "sock_release",
  39: "sk_skb_reuseport_select",
  40: "sk_skb_reuseport_select_or_migrate",
};

/** bpftool's parse_attach_type: libbpf's name exactly, else a prefix of a traditional (or libbpf) name. */
export function parseAttachType(word: string): number | undefined {
  const exact = BPFTOOL_ATTACH_TYPE_NAMES.indexOf(word);
  if (exact >= 0) return exact;
  for (let type = 0; type < BPFTOOL_ATTACH_TYPE_NAMES.length; type++) {
    const name = INPUT_NAMES[type] ?? BPFTOOL_ATTACH_TYPE_NAMES[type];
    if (name !== undefined && isPrefix(word, name)) return type;
  }
  return undefined;
}

async function attachOrDetach(ctx: Context, args: Args, attach: boolean): Promise<number> {
  if (args.left < 4) throw new CliError(`too few parameters for cgroup ${attach ? "attach" : "detach"}`);
  ctx.requireKernel(VM_NO_ATTACH);
  const path = args.next();
  let cgroup: number;
  try {
    cgroup = openSync(path, "r");
  } catch {
    throw new CliError(`can't open cgroup ${path}`);
  }
  try {
    const attachType = parseAttachType(args.next());
    if (attachType === undefined) throw new CliError("invalid attach type");
    const prog = await resolveProg(ctx, args);
    const backend = await ctx.backend();
    try {
      if (attach) {
        let flags = 0;
        for (const word of args.rest()) {
          if (isPrefix(word, "multi")) flags |= BPF_F_ALLOW_MULTI;
          else if (isPrefix(word, "override")) flags |= BPF_F_ALLOW_OVERRIDE;
          else throw new CliError(`unknown option: ${word}`);
        }
        try {
          backend.progAttach({ prog, target: cgroup, attachType, flags });
        } catch (error) {
          throw new CliError("failed to attach program", { cause: error });
        }
      } else {
        try {
          backend.progDetach(prog, cgroup, attachType);
        } catch (error) {
          throw new CliError("failed to detach program", { cause: error });
        }
      }
    } finally {
      prog.close();
    }
  } finally {
    closeSync(cgroup);
  }
  ctx.json?.null();
  return 0;
}

export const attach = (ctx: Context, args: Args) => attachOrDetach(ctx, args, true);
export const detach = (ctx: Context, args: Args) => attachOrDetach(ctx, args, false);
