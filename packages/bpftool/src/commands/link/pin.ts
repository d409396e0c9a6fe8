// `bpftool link pin LINK FILE` and `bpftool link detach LINK`.
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno } from "../../cli/errors.js";
import { pinAny } from "../prog/pin.js";
import { parseLink, withUsage } from "./parse.js";

export async function pin(ctx: Context, args: Args): Promise<number> {
  return withUsage(ctx, () => pinAny(ctx, args, parseLink));
}

export async function detach(ctx: Context, args: Args): Promise<number> {
  // bpftool's message ends in a newline of its own, and every failure here exits 1
  if (args.left !== 2) throw new CliError("link specifier is invalid or missing\n", { ret: 1 });
  return withUsage(ctx, async () => {
    let fd: Awaited<ReturnType<typeof parseLink>>;
    try {
      fd = await parseLink(ctx, args);
    } catch (error) {
      if (error instanceof CliError) throw new CliError(error.message, { ret: 1, cause: error.cause });
      throw error;
    }
    try {
      (await ctx.backend()).linkDetach(fd);
    } catch (error) {
      throw new CliError(`failed link detach: ${describeErrno(error)}`, { ret: 1, cause: error });
    } finally {
      fd.close();
    }
    ctx.json?.null();
    return 0;
  });
}
