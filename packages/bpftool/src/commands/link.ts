// `bpftool link`: list, pin and detach links.
import { type CommandTable, printHelp } from "../cli/args.js";

const HELP =
  "Usage: %s link { show | list }   [LINK]\n" +
  "       %s link pin        LINK  FILE\n" +
  "       %s link detach     LINK\n" +
  "       %s link help\n" +
  "\n" +
  "       LINK := { id LINK_ID | pinned FILE }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} |\n" +
  "                    {-f|--bpffs} | {-n|--nomount} }\n";

const show = async (...a: Parameters<typeof import("./link/show.js").show>) =>
  (await import("./link/show.js")).show(...a);

export const table: CommandTable = {
  commands: [
    ["show", show],
    ["list", show],
    ["help", (ctx) => printHelp(ctx, HELP)],
    ["pin", async (ctx, args) => (await import("./link/pin.js")).pin(ctx, args)],
    ["detach", async (ctx, args) => (await import("./link/pin.js")).detach(ctx, args)],
  ],
  help: (ctx) => printHelp(ctx, HELP),
};
