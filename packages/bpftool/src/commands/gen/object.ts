// `bpftool gen object OUTPUT_FILE INPUT_FILE...`: the static linker. Its arguments are checked as bpftool checks
// them; the linking itself comes with a later issue.
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";

export function object(_ctx: Context, args: Args): number {
  args.require(2);
  throw new CliError("gen object (the BPF static linker) is not supported yet");
}
