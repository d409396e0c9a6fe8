// `bpftool map pin MAP FILE`: bpftool's do_pin_any with map_parse_fd. Pinning itself (with the bpffs mount bpftool
// does first when FILE's directory has none) is shared with the prog commands: ../prog/pin.ts.
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { resolveMap } from "../../cli/map-spec.js";
import { pinFd } from "../prog/pin.js";

const EINVAL = 22;

export async function pin(ctx: Context, args: Args): Promise<number> {
  if (args.left < 3)
    throw new CliError(`'${args.previous() ?? ""}' needs at least 3 arguments, ${args.left} found`, { ret: -EINVAL });
  const fd = await resolveMap(ctx, args);
  try {
    await pinFd(ctx, fd, args.next());
  } finally {
    fd.close();
  }
  ctx.json?.null();
  return 0;
}
