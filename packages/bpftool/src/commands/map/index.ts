// `bpftool map`: its commands (a stub until they are implemented) and its help, as bpftool 7.1.0 prints it.
import { type CommandTable, printHelp } from "../../cli/args.js";

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

export const table: CommandTable = {
  commands: [],
  help: (ctx) => printHelp(ctx, HELP),
};
