// MAP on the command line: `id ID | pinned FILE | name NAME` as bpftool's map_parse_fds takes it, plus ours,
// `object FILE [map NAME]`. Owned by the map commands; map, prog and btf commands resolve MAP through here.
import type { Fd } from "@bpfkit/loader";
import type { Args } from "./args.js";
import type { Context } from "./context.js";
import { CliError } from "./errors.js";

/** Every map MAP names (several for `name`), each fd closed with the run. */
export async function resolveMaps(_ctx: Context, _args: Args): Promise<Fd[]> {
  throw new CliError("MAP: not implemented yet");
}

/** The one map MAP names; an error when it names several (bpftool's map_parse_fd). */
export async function resolveMap(ctx: Context, args: Args): Promise<Fd> {
  const fds = await resolveMaps(ctx, args);
  if (fds.length !== 1) throw new CliError(`several maps match this handle`);
  return fds[0] as Fd;
}
