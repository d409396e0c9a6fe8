// `bpftool feature list_builtins GROUP`: the names bpftool 7.1 (libbpf 1.1) knows, one a line or a JSON array.
import {
  BPFTOOL_ATTACH_TYPE_NAMES,
  BPFTOOL_HELPER_NAMES,
  BPFTOOL_LINK_TYPE_NAMES,
  BPFTOOL_MAP_TYPE_NAMES,
  BPFTOOL_PROG_TYPE_NAMES,
} from "@bpfkit/asm";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";

const GROUPS: readonly (readonly [string, readonly string[]])[] = [
  ["prog_types", BPFTOOL_PROG_TYPE_NAMES],
  ["map_types", BPFTOOL_MAP_TYPE_NAMES],
  ["attach_types", BPFTOOL_ATTACH_TYPE_NAMES],
  ["link_types", BPFTOOL_LINK_TYPE_NAMES],
  ["helpers", BPFTOOL_HELPER_NAMES],
];

export async function listBuiltins(ctx: Context, args: Args): Promise<number | undefined> {
  if (args.done) return undefined; // bpftool's usage(): the caller prints the help and fails
  const word = args.peek();
  const group = GROUPS.find(([name]) => args.is(name));
  if (group === undefined)
    throw new CliError(`expected 'prog_types', 'map_types', 'attach_types', 'link_types' or 'helpers', got: ${word}`);
  const names: string[] = [];
  for (const name of group[1]) {
    if (name === undefined) break;
    names.push(name);
  }
  if (ctx.json) {
    ctx.json.startArray();
    for (const name of names) ctx.json.string(name);
    ctx.json.endArray();
  } else {
    ctx.out.print(names.map((n) => `${n}\n`).join(""));
  }
  return 0;
}
