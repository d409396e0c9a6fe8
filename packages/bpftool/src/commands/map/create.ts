// `bpftool map create FILE type TYPE key KSIZE value VSIZE entries N name NAME [flags F] [inner_map MAP]
// [dev NAME]`: bpftool 7.1.0's do_create. The map lives only as long as its pin: it is created, pinned, and our
// descriptor closed, so a failed pin leaves nothing behind.
import { BPFTOOL_MAP_TYPE_NAMES } from "@bpfkit/asm";
import type { Fd } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import { type Context, vmRefusal } from "../../cli/context.js";
import { CliError, describeErrno } from "../../cli/errors.js";
import { resolveMapWithInfo, usageFailure } from "../../cli/map-spec.js";
import { ifNameToIndex } from "../../cli/netdev.js";
import { strtoulU32 } from "../../cli/strtoul.js";
import { pinFd } from "../prog/pin.js";

/** bpftool's parse_u32_arg. */
function parseU32(args: Args, current: number, what: string): number {
  args.skip();
  if (current) throw new CliError(`${what} already specified`);
  const word = args.next();
  const { value, complete } = strtoulU32(word);
  if (!complete) throw new CliError(`can't parse ${word} as ${what}`);
  return value;
}

export async function create(ctx: Context, args: Args): Promise<number> {
  args.reqArgs(7);
  if (ctx.options.backend === "vm")
    throw vmRefusal("cannot create pinned maps: its maps live only as long as the command");
  const pinPath = args.next();
  let mapType = 0;
  let keySize = 0;
  let valueSize = 0;
  let maxEntries = 0;
  let flags = 0;
  let ifindex = 0;
  let name: string | undefined;
  let inner: Fd | undefined;
  try {
    while (!args.done) {
      args.reqArgs(2);
      if (args.is("type")) {
        args.skip();
        if (mapType) throw new CliError("map type already specified");
        const word = args.next();
        const id = BPFTOOL_MAP_TYPE_NAMES.indexOf(word);
        if (id < 0) throw new CliError(`unrecognized map type: ${word}`);
        mapType = id;
      } else if (args.is("name")) {
        args.skip();
        name = args.next();
      } else if (args.is("key")) {
        keySize = parseU32(args, keySize, "key size");
      } else if (args.is("value")) {
        valueSize = parseU32(args, valueSize, "value size");
      } else if (args.is("entries")) {
        maxEntries = parseU32(args, maxEntries, "max entries");
      } else if (args.is("flags")) {
        flags = parseU32(args, flags, "flags");
      } else if (args.is("dev")) {
        args.skip();
        if (ifindex) throw new CliError("offload device already specified");
        const dev = args.next();
        ifindex = ifNameToIndex(dev) ?? 0;
        if (!ifindex) throw new CliError(`unrecognized netdevice '${dev}': No such device`);
      } else if (args.is("inner_map")) {
        args.skip();
        // Here bpftool's REQ_ARGS failure is followed by usage(): the help (`null` in JSON).
        if (args.left < 2) {
          const { reportError } = await import("../../main.js");
          reportError(ctx, `'${args.previous() ?? ""}' needs at least 2 arguments, ${args.left} found`);
          throw usageFailure();
        }
        inner?.close();
        inner = (await resolveMapWithInfo(ctx, args)).fd;
      } else {
        throw new CliError(`unknown arg ${args.peek()}`);
      }
    }
    if (name === undefined) throw new CliError("map name not specified");
    const backend = await ctx.backend();
    let fd: Fd;
    try {
      fd = backend.createMap({ mapType, keySize, valueSize, maxEntries, name, flags, innerMap: inner, ifindex });
    } catch (error) {
      throw new CliError(`map create failed: ${describeErrno(error)}`, { cause: error });
    }
    try {
      await pinFd(ctx, fd, pinPath);
    } finally {
      fd.close();
    }
  } finally {
    inner?.close();
  }
  ctx.json?.null();
  return 0;
}
