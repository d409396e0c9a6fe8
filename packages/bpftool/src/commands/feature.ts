// `bpftool feature`: its commands (a stub until they are implemented) and its help, as bpftool 7.1.0 prints it.
import { type CommandTable, printHelp } from "../cli/args.js";

const HELP =
  "Usage: %s feature probe [COMPONENT] [full] [unprivileged] [macros [prefix PREFIX]]\n" +
  "       %s feature list_builtins GROUP\n" +
  "       %s feature help\n" +
  "\n" +
  "       COMPONENT := { kernel | dev NAME }\n" +
  "       GROUP := { prog_types | map_types | attach_types | link_types | helpers }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} }\n";

export const table: CommandTable = {
  commands: [],
  help: (ctx) => printHelp(ctx, HELP),
};
