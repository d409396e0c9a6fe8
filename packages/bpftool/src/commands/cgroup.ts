// `bpftool cgroup`: the programs attached to cgroups (one, or a tree), attach and detach.
import { type CommandTable, printHelp } from "../cli/args.js";

const HELP =
  "Usage: %s cgroup { show | list } CGROUP [**effective**]\n" +
  "       %s cgroup tree [CGROUP_ROOT] [**effective**]\n" +
  "       %s cgroup attach CGROUP ATTACH_TYPE PROG [ATTACH_FLAGS]\n" +
  "       %s cgroup detach CGROUP ATTACH_TYPE PROG\n" +
  "       %s cgroup help\n" +
  "\n" +
  "       ATTACH_TYPE := { cgroup_inet_ingress | cgroup_inet_egress |\n" +
  "                        cgroup_inet_sock_create | cgroup_sock_ops |\n" +
  "                        cgroup_device | cgroup_inet4_bind |\n" +
  "                        cgroup_inet6_bind | cgroup_inet4_post_bind |\n" +
  "                        cgroup_inet6_post_bind | cgroup_inet4_connect |\n" +
  "                        cgroup_inet6_connect | cgroup_inet4_getpeername |\n" +
  "                        cgroup_inet6_getpeername | cgroup_inet4_getsockname |\n" +
  "                        cgroup_inet6_getsockname | cgroup_udp4_sendmsg |\n" +
  "                        cgroup_udp6_sendmsg | cgroup_udp4_recvmsg |\n" +
  "                        cgroup_udp6_recvmsg | cgroup_sysctl |\n" +
  "                        cgroup_getsockopt | cgroup_setsockopt |\n" +
  "                        cgroup_inet_sock_release }\n" +
  "       ATTACH_FLAGS := { multi | override }\n" +
  "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} |\n" +
  "                    {-f|--bpffs} }\n";

const show = async (...a: Parameters<typeof import("./cgroup/show.js").show>) =>
  (await import("./cgroup/show.js")).show(...a);

export const table: CommandTable = {
  commands: [
    ["show", show],
    ["list", show],
    ["tree", async (ctx, args) => (await import("./cgroup/show.js")).tree(ctx, args)],
    ["attach", async (ctx, args) => (await import("./cgroup/attach.js")).attach(ctx, args)],
    ["detach", async (ctx, args) => (await import("./cgroup/attach.js")).detach(ctx, args)],
    ["help", (ctx) => printHelp(ctx, HELP)],
  ],
  help: (ctx) => printHelp(ctx, HELP),
};
