// `bpftool net`: XDP and tc programs on network devices, the flow dissector; XDP attach and detach.
import { type CommandTable, printHelp } from "../cli/args.js";

const HELP =
  "Usage: %s net { show | list } [dev <devname>]\n" +
  "       %s net attach ATTACH_TYPE PROG dev <devname> [ overwrite ]\n" +
  "       %s net detach ATTACH_TYPE dev <devname>\n" +
  "       %s net help\n" +
  "\n" +
  "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n" +
  "       ATTACH_TYPE := { xdp | xdpgeneric | xdpdrv | xdpoffload }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} }\n" +
  "\n" +
  "Note: Only xdp and tc attachments are supported now.\n" +
  // bpftool's own name here, not argv[0]
  '      For progs attached to cgroups, use "bpftool cgroup"\n' +
  "      to dump program attachments. For program types\n" +
  "      sk_{filter,skb,msg,reuseport} and lwt/seg6, please\n" +
  "      consult iproute2.\n";

const show = async (...a: Parameters<typeof import("./net/show.js").show>) =>
  (await import("./net/show.js")).show(...a);

export const table: CommandTable = {
  commands: [
    ["show", show],
    ["list", show],
    ["attach", async (ctx, args) => (await import("./net/attach.js")).attach(ctx, args)],
    ["detach", async (ctx, args) => (await import("./net/attach.js")).detach(ctx, args)],
    ["help", (ctx) => printHelp(ctx, HELP)],
  ],
  help: (ctx) => printHelp(ctx, HELP),
};
