// Two things bpftool commands do midway: usage() (the help of the command table chosen last, `null` with -j, and a
// failure with no message of its own) and p_err() where the command then goes on (an error inside a JSON array).
import { Args } from "../cli/args.js";
import type { Context } from "../cli/context.js";

export async function usage(ctx: Context): Promise<number> {
  if (ctx.lastHelp) await ctx.lastHelp(ctx, ctx.lastHelpArgs ?? new Args([]));
  return -1;
}

/** bpftool's p_err: `{"error": ...}` where the JSON output stands (not escaped), else `Error: ...` on stderr. */
export function printError(ctx: Context, message: string): void {
  if (ctx.json) ctx.json.startObject().name("error").unescaped(message).endObject();
  else ctx.out.error(`Error: ${message}\n`);
}
