// `bpftool struct_ops`: struct_ops maps (kernel structs of BPF programs: TCP congestion controls ...), shown,
// dumped, registered from an object file, unregistered.
import { type CommandTable, type Handler, printHelp } from "../cli/args.js";

const HELP =
  "Usage: %s struct_ops { show | list } [STRUCT_OPS_MAP]\n" +
  "       %s struct_ops dump [STRUCT_OPS_MAP]\n" +
  "       %s struct_ops register OBJ\n" +
  "       %s struct_ops unregister STRUCT_OPS_MAP\n" +
  "       %s struct_ops help\n" +
  "\n" +
  "       STRUCT_OPS_MAP := [ id STRUCT_OPS_MAP_ID | name STRUCT_OPS_MAP_NAME ]\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} }\n";

const load = () => import("./struct-ops/commands.js");
const show: Handler = async (ctx, args) => (await load()).show(ctx, args);

export const table: CommandTable = {
  commands: [
    ["show", show],
    ["list", show],
    ["register", async (ctx, args) => (await load()).register(ctx, args)],
    ["unregister", async (ctx, args) => (await load()).unregister(ctx, args)],
    ["dump", async (ctx, args) => (await import("./struct-ops/dump.js")).dump(ctx, args)],
    ["help", (ctx) => printHelp(ctx, HELP)],
  ],
  help: (ctx) => printHelp(ctx, HELP),
};
