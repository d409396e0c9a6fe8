// `bpftool net attach {xdp|xdpgeneric|xdpdrv|xdpoffload} PROG dev NAME [overwrite]` and `net detach TYPE dev NAME`:
// XDP programs set on a device over netlink (RTM_SETLINK, IFLA_XDP), as libbpf 1.1's bpf_xdp_attach does.
import { NetlinkError, RTM_SETLINK, RtNetlink } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import { type Args, isPrefix } from "../../cli/args.js";
import { type Context, VM_NO_ATTACH } from "../../cli/context.js";
import { CliError, strerror } from "../../cli/errors.js";
import { resolveProg } from "../../cli/prog-spec.js";
import { parseDev } from "./show.js";

const EINVAL = 22;
const IFLA_XDP = 43;
const IFLA_XDP_FD = 1;
const IFLA_XDP_FLAGS = 3;
const NLA_F_NESTED = 0x8000;
const XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
const XDP_FLAGS_SKB_MODE = 2;
const XDP_FLAGS_DRV_MODE = 4;
const XDP_FLAGS_HW_MODE = 8;

const ATTACH_TYPES = ["xdp", "xdpgeneric", "xdpdrv", "xdpoffload"] as const;
const MODE_FLAGS = [0, XDP_FLAGS_SKB_MODE, XDP_FLAGS_DRV_MODE, XDP_FLAGS_HW_MODE];

function parseType(word: string | undefined): number {
  const type = ATTACH_TYPES.findIndex((t) => isPrefix(word, t));
  if (type < 0) throw new CliError(`invalid net attach/detach type: ${word}`, { ret: -EINVAL });
  return type;
}

/** RTM_SETLINK with IFLA_XDP { FD, [FLAGS] }; throws NetlinkError. */
function setXdp(ifindex: number, fd: number, flags: number): void {
  const inner = flags ? 16 : 8;
  const body = new Uint8Array(16 + 4 + inner);
  const v = new DataView(body.buffer);
  v.setInt32(4, ifindex, true); // ifinfomsg: AF_UNSPEC, the device
  v.setUint16(16, 4 + inner, true);
  v.setUint16(18, IFLA_XDP | NLA_F_NESTED, true);
  v.setUint16(20, 8, true);
  v.setUint16(22, IFLA_XDP_FD, true);
  v.setInt32(24, fd, true);
  if (flags) {
    v.setUint16(28, 8, true);
    v.setUint16(30, IFLA_XDP_FLAGS, true);
    v.setUint32(32, flags, true);
  }
  const nl = new RtNetlink();
  try {
    nl.request(RTM_SETLINK, body);
  } finally {
    nl.close();
  }
}

/** What a refused RTM_SETLINK prints: libbpf's note of the kernel's message, then bpftool's error. */
function refused(ctx: Context, error: unknown, what: string): CliError {
  if (!(error instanceof NetlinkError)) throw error;
  if (error.kernelMessage !== undefined) ctx.out.error(`libbpf: Kernel error message: ${error.kernelMessage}\n`);
  return new CliError(`${what}: ${strerror(error.errno)}`, { ret: -error.errno, cause: error });
}

export async function attach(ctx: Context, args: Args): Promise<number> {
  args.reqArgs(5, -EINVAL);
  ctx.requireKernel(VM_NO_ATTACH);
  const type = parseType(args.next());
  let prog: Fd;
  try {
    prog = await resolveProg(ctx, args);
  } catch (error) {
    if (error instanceof CliError) throw new CliError(error.message, { ret: -EINVAL, silent: error.silent });
    throw error;
  }
  try {
    const ifindex = parseDev(args, -EINVAL);
    let overwrite = false;
    if (!args.done) {
      if (!args.is("overwrite")) throw new CliError(`expected 'overwrite', got: '${args.peek()}'?`, { ret: -EINVAL });
      overwrite = true;
    }
    const flags = (overwrite ? 0 : XDP_FLAGS_UPDATE_IF_NOEXIST) | (MODE_FLAGS[type] as number);
    try {
      setXdp(ifindex, prog.value, flags);
    } catch (error) {
      throw refused(ctx, error, `interface ${ATTACH_TYPES[type]} attach failed`);
    }
  } finally {
    prog.close();
  }
  ctx.json?.null();
  return 0;
}

export async function detach(ctx: Context, args: Args): Promise<number> {
  args.reqArgs(3, -EINVAL);
  const type = parseType(args.next());
  const ifindex = parseDev(args, -EINVAL);
  try {
    // bpftool passes overwrite as false here too: the flags carry UPDATE_IF_NOEXIST
    setXdp(ifindex, -1, XDP_FLAGS_UPDATE_IF_NOEXIST | (MODE_FLAGS[type] as number));
  } catch (error) {
    throw refused(ctx, error, `interface ${ATTACH_TYPES[type]} detach failed`);
  }
  ctx.json?.null();
  return 0;
}
