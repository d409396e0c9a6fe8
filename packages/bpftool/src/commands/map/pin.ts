// `bpftool map pin MAP FILE`: bpftool's do_pin_any with map_parse_fd. Pinning itself (with the bpffs mount bpftool
// does first when FILE's directory has none) is shared with the prog and link commands: ../prog/pin.ts.
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { resolveMap } from "../../cli/map-spec.js";
import { pinAny } from "../prog/pin.js";

export async function pin(ctx: Context, args: Args): Promise<number> {
  return pinAny(ctx, args, resolveMap);
}
