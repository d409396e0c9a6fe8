// `bpftool iter`: its commands (a stub until they are implemented) and its help, as bpftool 7.1.0 prints it.
import { type CommandTable, printHelp } from "../cli/args.js";

const HELP =
  "Usage: %s iter pin OBJ PATH [map MAP]\n" +
  "       %s iter help\n" +
  "\n" +
  "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} }\n";

export const table: CommandTable = {
  commands: [],
  help: (ctx) => printHelp(ctx, HELP),
};
