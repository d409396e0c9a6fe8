// `bpftool iter pin OBJ PATH [map MAP]`: loads an object, attaches its first program as a BPF iterator (over MAP's
// elements when given) and pins the link, whose file then reads the iterator's output.
import type { CommandTable, Handler } from "../cli/args.js";

const HELP =
  "Usage: %s iter pin OBJ PATH [map MAP]\n" +
  "       %s iter help\n" +
  "\n" +
  "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} }\n";

// bpftool 7.1's iter help goes to stderr even with -j (no `null`)
const help: Handler = (ctx) => {
  ctx.out.error(HELP.replaceAll("%s", ctx.options.binName));
  return 0;
};

export const table: CommandTable = {
  commands: [
    ["help", help],
    ["pin", async (ctx, args) => (await import("./iter/pin.js")).pin(ctx, args)],
  ],
  help,
};
