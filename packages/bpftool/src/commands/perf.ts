// `bpftool perf`: its commands (a stub until they are implemented) and its help, as bpftool 7.1.0 prints it.
import { type CommandTable, printHelp } from "../cli/args.js";

const HELP =
  "Usage: %s perf { show | list }\n" +
  "       %s perf help }\n" +
  "\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} }\n";

export const table: CommandTable = {
  commands: [],
  help: (ctx) => printHelp(ctx, HELP),
};
