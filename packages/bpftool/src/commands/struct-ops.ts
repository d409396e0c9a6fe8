// `bpftool struct_ops`: its commands (a stub until they are implemented) and its help, as bpftool 7.1.0 prints it.
import { type CommandTable, printHelp } from "../cli/args.js";

const HELP =
  "Usage: %s struct_ops { show | list } [STRUCT_OPS_MAP]\n" +
  "       %s struct_ops dump [STRUCT_OPS_MAP]\n" +
  "       %s struct_ops register OBJ\n" +
  "       %s struct_ops unregister STRUCT_OPS_MAP\n" +
  "       %s struct_ops help\n" +
  "\n" +
  "       STRUCT_OPS_MAP := [ id STRUCT_OPS_MAP_ID | name STRUCT_OPS_MAP_NAME ]\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} }\n";

export const table: CommandTable = {
  commands: [],
  help: (ctx) => printHelp(ctx, HELP),
};
