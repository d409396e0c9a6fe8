// `bpftool btf`: its commands (a stub until they are implemented) and its help, as bpftool 7.1.0 prints it.
import { type CommandTable, printHelp } from "../../cli/args.js";

const HELP =
  "Usage: %s btf { show | list } [id BTF_ID]\n" +
  "       %s btf dump BTF_SRC [format FORMAT]\n" +
  "       %s btf help\n" +
  "\n" +
  "       BTF_SRC := { id BTF_ID | prog PROG | map MAP [{key | value | kv | all}] | file FILE }\n" +
  "       FORMAT  := { raw | c }\n" +
  "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n" +
  "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} |\n" +
  "                    {-B|--base-btf} }\n";

export const table: CommandTable = {
  commands: [],
  help: (ctx) => printHelp(ctx, HELP),
};
