// `bpftool struct_ops show|list [STRUCT_OPS_MAP]`, `register OBJ`, `unregister STRUCT_OPS_MAP`.
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { describeErrno, strerror } from "../../cli/errors.js";
import { printError, usage } from "../report.js";
import { kernelStructOpsName, retval, workOnStructOps } from "./maps.js";
import { ObjectFailure, openAndLoad } from "./object.js";

const STRUCT_OPS = 26;
const ENOENT = 2;

export async function show(ctx: Context, args: Args): Promise<number> {
  if (!args.done && args.left !== 2) return usage(ctx);
  const [type, term] = args.done ? [undefined, undefined] : [args.next(), args.next()];
  let text = "";
  const tally = await workOnStructOps(
    ctx,
    type,
    term,
    (_fd, info, wtr) => {
      const kernel = kernelStructOpsName(info);
      if (wtr) {
        wtr.startObject().numberField("id", info.id).stringField("name", info.name);
        wtr.stringField("kernel_struct_ops", kernel).endObject();
      } else {
        text += `${info.id}: ${info.name.padEnd(15)} ${kernel.padEnd(32)}\n`;
      }
      return 0;
    },
    ctx.json,
  );
  ctx.out.print(text);
  if (tally === undefined) return usage(ctx);
  return retval(tally, term !== undefined);
}

export async function unregister(ctx: Context, args: Args): Promise<number> {
  if (args.left !== 2) return usage(ctx);
  const type = args.next();
  const term = args.next();
  const backend = await ctx.backend();
  const tally = await workOnStructOps(
    ctx,
    type,
    term,
    (fd, info) => {
      const kernel = kernelStructOpsName(info);
      let reason: string | undefined;
      try {
        if (!backend.mapDelete(fd, new Uint8Array(4))) reason = strerror(ENOENT);
      } catch (error) {
        reason = describeErrno(error);
      }
      if (reason !== undefined) {
        printError(ctx, `can't unload ${kernel} ${info.name} id ${info.id}: ${reason}`);
        return -1;
      }
      ctx.info(`Unregistered ${kernel} ${info.name} id ${info.id}`);
      return 0;
    },
    undefined,
  );
  if (tally === undefined) return usage(ctx);
  return retval(tally, true);
}

export async function register(ctx: Context, args: Args): Promise<number> {
  if (args.left !== 1) return usage(ctx);
  const path = args.next();
  let collection: Awaited<ReturnType<typeof openAndLoad>>;
  try {
    collection = await openAndLoad(ctx, path);
  } catch (error) {
    // libbpf said why; bpftool adds nothing
    if (error instanceof ObjectFailure) return -1;
    throw error;
  }
  const backend = await ctx.backend();
  let registered = 0;
  let errors = 0;
  for (const map of collection.spec.maps) {
    if (map.type !== STRUCT_OPS || !collection.maps.has(map.name)) continue;
    try {
      collection.registerStructOps(map.name, { outliveCollection: true });
    } catch {
      // libbpf 1.1 returns NULL here and bpftool prints strerror(-PTR_ERR(NULL)): always "Success"
      printError(ctx, `can't register struct_ops ${map.name}: Success`);
      errors++;
      continue;
    }
    registered++;
    try {
      const info = backend.mapInfo(collection.map(map.name).fd);
      ctx.info(`Registered ${kernelStructOpsName(info)} ${map.name} id ${info.id}`);
    } catch (error) {
      ctx.info(`Registered ${map.name} but can't find id: ${describeErrno(error)}`);
    }
  }
  if (errors) return -1;
  if (!registered) {
    printError(ctx, `no struct_ops found in ${path}`);
    return -1;
  }
  ctx.json?.null();
  return 0;
}
