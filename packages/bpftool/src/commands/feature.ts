// `bpftool feature`: probe what the kernel supports, list the names bpftool knows.
import { type CommandTable, printHelp } from "../cli/args.js";
import { usage } from "./report.js";

const HELP =
  "Usage: %s feature probe [COMPONENT] [full] [unprivileged] [macros [prefix PREFIX]]\n" +
  "       %s feature list_builtins GROUP\n" +
  "       %s feature help\n" +
  "\n" +
  "       COMPONENT := { kernel | dev NAME }\n" +
  "       GROUP := { prog_types | map_types | attach_types | link_types | helpers }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} }\n";

export const table: CommandTable = {
  commands: [
    ["probe", async (ctx, args) => (await import("./feature/probe.js")).probe(ctx, args)],
    [
      "list_builtins",
      async (ctx, args) => (await (await import("./feature/builtins.js")).listBuiltins(ctx, args)) ?? usage(ctx),
    ],
    ["help", (ctx) => printHelp(ctx, HELP)],
  ],
  help: (ctx) => printHelp(ctx, HELP),
};
