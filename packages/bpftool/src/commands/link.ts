// `bpftool link`: its commands (a stub until they are implemented) and its help, as bpftool 7.1.0 prints it.
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

export const table: CommandTable = {
  commands: [],
  help: (ctx) => printHelp(ctx, HELP),
};
