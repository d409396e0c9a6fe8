// `bpftool map freeze MAP`: no more writes from user space (BPF_MAP_FREEZE), as bpftool 7.1.0's do_freeze.
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf } from "../../cli/errors.js";
import { resolveMap } from "../../cli/map-spec.js";
import { badArg } from "./common.js";

export async function freeze(ctx: Context, args: Args): Promise<number> {
  args.reqArgs(2);
  const fd = await resolveMap(ctx, args);
  try {
    if (!args.done) throw badArg(args);
    const backend = await ctx.objectBackend();
    try {
      backend.mapFreeze(fd);
    } catch (error) {
      const errno = errnoOf(error);
      throw new CliError(`failed to freeze map: ${describeErrno(error)}`, {
        ret: errno === undefined ? -1 : -errno,
        cause: error,
      });
    }
  } finally {
    fd.close();
  }
  ctx.json?.null();
  return 0;
}
