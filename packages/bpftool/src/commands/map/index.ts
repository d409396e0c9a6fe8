// `bpftool map`: its commands, in bpftool 7.1.0's table order (the first prefix match wins: `m d` is dump, `m p`
// is pin), and its help. Each command's module is loaded when it is chosen.
import { type CommandTable, type Handler, printHelp } from "../../cli/args.js";

const HELP =
  "Usage: %s map { show | list }   [MAP]\n" +
  "       %s map create     FILE type TYPE key KEY_SIZE value VALUE_SIZE \\\n" +
  "                                  entries MAX_ENTRIES name NAME [flags FLAGS] \\\n" +
  "                                  [inner_map MAP] [dev NAME]\n" +
  "       %s map dump       MAP\n" +
  "       %s map update     MAP [key DATA] [value VALUE] [UPDATE_FLAGS]\n" +
  "       %s map lookup     MAP [key DATA]\n" +
  "       %s map getnext    MAP [key DATA]\n" +
  "       %s map delete     MAP  key DATA\n" +
  "       %s map pin        MAP  FILE\n" +
  "       %s map event_pipe MAP [cpu N index M]\n" +
  "       %s map peek       MAP\n" +
  "       %s map push       MAP value VALUE\n" +
  "       %s map pop        MAP\n" +
  "       %s map enqueue    MAP value VALUE\n" +
  "       %s map dequeue    MAP\n" +
  "       %s map freeze     MAP\n" +
  "       %s map help\n" +
  "\n" +
  "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n" +
  "       DATA := { [hex] BYTES }\n" +
  "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n" +
  "       VALUE := { DATA | MAP | PROG }\n" +
  "       UPDATE_FLAGS := { any | exist | noexist }\n" +
  "       TYPE := { hash | array | prog_array | perf_event_array | percpu_hash |\n" +
  "                 percpu_array | stack_trace | cgroup_array | lru_hash |\n" +
  "                 lru_percpu_hash | lpm_trie | array_of_maps | hash_of_maps |\n" +
  "                 devmap | devmap_hash | sockmap | cpumap | xskmap | sockhash |\n" +
  "                 cgroup_storage | reuseport_sockarray | percpu_cgroup_storage |\n" +
  "                 queue | stack | sk_storage | struct_ops | ringbuf | inode_storage |\n" +
  "                 task_storage | bloom_filter | user_ringbuf }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} |\n" +
  "                    {-f|--bpffs} | {-n|--nomount} }\n";

const help: Handler = (ctx) => printHelp(ctx, HELP);

const show: Handler = async (ctx, args) => (await import("./show.js")).show(ctx, args);
const lookup: Handler = async (ctx, args) => (await import("./element.js")).lookup(ctx, args);
const update: Handler = async (ctx, args) => (await import("./element.js")).update(ctx, args);
const pop: Handler = async (ctx, args) => (await import("./element.js")).pop(ctx, args);

export const table: CommandTable = {
  commands: [
    ["show", show],
    ["list", show],
    ["help", help],
    ["dump", async (ctx, args) => (await import("./dump.js")).dump(ctx, args)],
    ["update", update],
    ["lookup", lookup],
    ["getnext", async (ctx, args) => (await import("./element.js")).getnext(ctx, args)],
    ["delete", async (ctx, args) => (await import("./element.js")).del(ctx, args)],
    ["pin", async (ctx, args) => (await import("./pin.js")).pin(ctx, args)],
    ["event_pipe", async (ctx, args) => (await import("./event-pipe.js")).eventPipe(ctx, args)],
    ["create", async (ctx, args) => (await import("./create.js")).create(ctx, args)],
    ["peek", lookup],
    ["push", update],
    ["enqueue", update],
    ["pop", pop],
    ["dequeue", pop],
    ["freeze", async (ctx, args) => (await import("./freeze.js")).freeze(ctx, args)],
  ],
  help,
};
