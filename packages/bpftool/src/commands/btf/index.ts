// `bpftool btf`: its commands, in bpftool's table order, and its help as bpftool 7.1.0 prints it. Each command's
// module is loaded only when it runs (a C dump of vmlinux should not pay for `show`, nor `show` for the dumpers).
import { type CommandTable, type Handler, printHelp } from "../../cli/args.js";

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

const help: Handler = (ctx) => printHelp(ctx, HELP);
const show: Handler = async (ctx, args) => (await import("./show.js")).show(ctx, args);

export const table: CommandTable = {
  commands: [
    ["show", show],
    ["list", show],
    ["help", help],
    ["dump", async (ctx, args) => (await import("./dump.js")).dump(ctx, args)],
  ],
  help,
};
