// `bpftool gen`: its commands, in bpftool's table order, and its help as bpftool 7.1.0 prints it. Each command's
// module is loaded only when it runs.
import { type CommandTable, type Handler, printHelp } from "../../cli/args.js";

const HELP =
  "Usage: %s gen object OUTPUT_FILE INPUT_FILE [INPUT_FILE...]\n" +
  "       %s gen skeleton FILE [name OBJECT_NAME]\n" +
  "       %s gen subskeleton FILE [name OBJECT_NAME]\n" +
  "       %s gen min_core_btf INPUT OUTPUT OBJECT [OBJECT...]\n" +
  "       %s gen help\n" +
  "\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} |\n" +
  "                    {-L|--use-loader} }\n";

const help: Handler = (ctx) => printHelp(ctx, HELP);

export const table: CommandTable = {
  commands: [
    ["object", async (ctx, args) => (await import("./object.js")).object(ctx, args)],
    ["skeleton", async (ctx, args) => (await import("./skeleton.js")).skeleton(ctx, args)],
    ["subskeleton", async (ctx, args) => (await import("./subskeleton.js")).subskeleton(ctx, args)],
    ["min_core_btf", async (ctx, args) => (await import("./min-core-btf.js")).minCoreBtf(ctx, args)],
    ["help", help],
  ],
  help,
};
