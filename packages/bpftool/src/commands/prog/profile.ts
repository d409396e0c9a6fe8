// `prog profile`: bpftool 7.1.0 as Debian builds it has no skeletons, so the command only says so (and, as there,
// reports it as an error but exits 0).
import type { CommandResult } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";

export function doProfile(ctx: Context, _args?: unknown): CommandResult {
  const message = "bpftool prog profile command is not supported. Please build bpftool with clang >= 10.0.0";
  if (ctx.json) ctx.json.startObject().name("error").unescaped(message).endObject();
  else ctx.out.error(`Error: ${message}\n`);
  return 0;
}
