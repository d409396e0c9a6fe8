// `bpftool gen`: its commands (a stub until they are implemented) and its help, as bpftool 7.1.0 prints it.
import { type CommandTable, printHelp } from "../../cli/args.js";

const HELP =
  "Usage: %s gen object OUTPUT_FILE INPUT_FILE [INPUT_FILE...]\n" +
  "       %s gen skeleton FILE [name OBJECT_NAME]\n" +
  "       %s gen subskeleton FILE [name OBJECT_NAME]\n" +
  "       %s gen min_core_btf INPUT OUTPUT OBJECT [OBJECT...]\n" +
  "       %s gen help\n" +
  "\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} |\n" +
  "                    {-L|--use-loader} }\n";

export const table: CommandTable = {
  commands: [],
  help: (ctx) => printHelp(ctx, HELP),
};
