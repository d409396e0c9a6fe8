// `bpftool net`: its commands (a stub until they are implemented) and its help, as bpftool 7.1.0 prints it.
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
  '      For progs attached to cgroups, use "%s cgroup"\n' +
  "      to dump program attachments. For program types\n" +
  "      sk_{filter,skb,msg,reuseport} and lwt/seg6, please\n" +
  "      consult iproute2.\n";

export const table: CommandTable = {
  commands: [],
  help: (ctx) => printHelp(ctx, HELP),
};
