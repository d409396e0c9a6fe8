// PROG on the command line: `id ID | pinned FILE | tag TAG | name NAME` as bpftool's prog_parse_fds takes it,
// plus ours, `object FILE [program NAME]` (the object is opened, loaded into the chosen backend and released with
// the run). Owned by the prog commands; prog, map, btf and link commands resolve PROG through here.
import type { Fd } from "@bpfkit/loader";
import type { Args } from "./args.js";
import type { Context } from "./context.js";
import { CliError } from "./errors.js";

/** Every program PROG names (several for `tag`/`name`), each fd closed with the run. */
export async function resolveProgs(_ctx: Context, _args: Args): Promise<Fd[]> {
  throw new CliError("PROG: not implemented yet");
}

/** The one program PROG names; an error when it names several (bpftool's prog_parse_fd). */
export async function resolveProg(ctx: Context, args: Args): Promise<Fd> {
  const fds = await resolveProgs(ctx, args);
  if (fds.length !== 1) throw new CliError(`several programs match this handle`);
  return fds[0] as Fd;
}
