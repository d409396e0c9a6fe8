// bpftool's usage(): the object's help (on stderr, or `null` with -j) and exit status 255, without an error line.
import { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";

export async function usage(ctx: Context): Promise<never> {
  if (ctx.lastHelp) await ctx.lastHelp(ctx, ctx.lastHelpArgs ?? new Args([]));
  throw new CliError("usage", { silent: true });
}
