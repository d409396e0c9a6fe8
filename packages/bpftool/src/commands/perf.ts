// `bpftool perf`: programs attached through perf events and raw tracepoints, by process and descriptor.
import type { CommandTable, Handler } from "../cli/args.js";

const HELP =
  "Usage: %s perf { show | list }\n" +
  "       %s perf help }\n" +
  "\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} }\n";

// bpftool 7.1's perf help goes to stderr even with -j (no `null`), and has that stray "}"
const help: Handler = (ctx) => {
  ctx.out.error(HELP.replaceAll("%s", ctx.options.binName));
  return 0;
};

const show: Handler = async (ctx) => (await import("./perf/show.js")).show(ctx);

export const table: CommandTable = {
  commands: [
    ["show", show],
    ["list", show],
    ["help", help],
  ],
  help,
};
