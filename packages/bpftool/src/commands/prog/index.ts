// `bpftool prog`: its commands, in bpftool's table order (the first prefix match wins: `p s` is show, `p l` is
// list, `p lo` load), and its help as bpftool 7.1.0 prints it. Each command lives in its own module, loaded when
// chosen. Native code is not disassembled: `dump jited` prints the JITed bytes (see dump.ts).
import { type CommandTable, type Handler, printHelp } from "../../cli/args.js";

const HELP =
  "Usage: %s prog { show | list } [PROG]\n" +
  "       %s prog dump xlated PROG [{ file FILE | opcodes | visual | linum }]\n" +
  "       %s prog dump jited  PROG [{ file FILE | opcodes | linum }]\n" +
  "       %s prog pin   PROG FILE\n" +
  "       %s prog { load | loadall } OBJ  PATH \\\n" +
  "                         [type TYPE] [dev NAME] \\\n" +
  "                         [map { idx IDX | name NAME } MAP]\\\n" +
  "                         [pinmaps MAP_DIR]\n" +
  "       %s prog attach PROG ATTACH_TYPE [MAP]\n" +
  "       %s prog detach PROG ATTACH_TYPE [MAP]\n" +
  "       %s prog run PROG \\\n" +
  "                         data_in FILE \\\n" +
  "                         [data_out FILE [data_size_out L]] \\\n" +
  "                         [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] \\\n" +
  "                         [repeat N]\n" +
  "       %s prog profile PROG [duration DURATION] METRICs\n" +
  "       %s prog tracelog\n" +
  "       %s prog help\n" +
  "\n" +
  "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n" +
  "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n" +
  "       TYPE := { socket | kprobe | kretprobe | classifier | action |\n" +
  "                 tracepoint | raw_tracepoint | xdp | perf_event | cgroup/skb |\n" +
  "                 cgroup/sock | cgroup/dev | lwt_in | lwt_out | lwt_xmit |\n" +
  "                 lwt_seg6local | sockops | sk_skb | sk_msg | lirc_mode2 |\n" +
  "                 sk_reuseport | flow_dissector | cgroup/sysctl |\n" +
  "                 cgroup/bind4 | cgroup/bind6 | cgroup/post_bind4 |\n" +
  "                 cgroup/post_bind6 | cgroup/connect4 | cgroup/connect6 |\n" +
  "                 cgroup/getpeername4 | cgroup/getpeername6 |\n" +
  "                 cgroup/getsockname4 | cgroup/getsockname6 | cgroup/sendmsg4 |\n" +
  "                 cgroup/sendmsg6 | cgroup/recvmsg4 | cgroup/recvmsg6 |\n" +
  "                 cgroup/getsockopt | cgroup/setsockopt | cgroup/sock_release |\n" +
  "                 struct_ops | fentry | fexit | freplace | sk_lookup }\n" +
  "       ATTACH_TYPE := { sk_msg_verdict | sk_skb_verdict | sk_skb_stream_verdict |\n" +
  "                        sk_skb_stream_parser | flow_dissector }\n" +
  "       METRIC := { cycles | instructions | l1d_loads | llc_misses | itlb_misses | dtlb_misses }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} |\n" +
  "                    {-f|--bpffs} | {-m|--mapcompat} | {-n|--nomount} |\n" +
  "                    {-L|--use-loader} }\n";

const help: Handler = (ctx) => printHelp(ctx, HELP);

export const table: CommandTable = {
  commands: [
    ["show", async (ctx, args) => (await import("./show.js")).doShow(ctx, args)],
    ["list", async (ctx, args) => (await import("./show.js")).doShow(ctx, args)],
    ["help", help],
    ["dump", async (ctx, args) => (await import("./dump.js")).doDump(ctx, args)],
    ["pin", async (ctx, args) => (await import("./pin.js")).doPin(ctx, args)],
    ["load", async (ctx, args) => (await import("./load.js")).doLoad(ctx, args)],
    ["loadall", async (ctx, args) => (await import("./load.js")).doLoadall(ctx, args)],
    ["attach", async (ctx, args) => (await import("./attach.js")).doAttach(ctx, args)],
    ["detach", async (ctx, args) => (await import("./attach.js")).doDetach(ctx, args)],
    ["tracelog", async (ctx, args) => (await import("./tracelog.js")).doTracelog(ctx, args)],
    ["run", async (ctx, args) => (await import("./run.js")).doRun(ctx, args)],
    ["profile", async (ctx, args) => (await import("./profile.js")).doProfile(ctx, args)],
  ],
  help,
};
