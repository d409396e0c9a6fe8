// `bpftool map dump MAP`: every entry of the map (of each map, for a `name` several maps share), as bpftool 7.1.0
// prints them: JSON entries, the plain "key: .. value: .." layout and "Found N elements", or, when every map has
// BTF, the BTF dumper's pretty form in place of both.
import type { Btf } from "@bpfkit/btf";
import type { Backend, Fd, MapInfo } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno } from "../../cli/errors.js";
import { mapSpecWords, resolveMaps, usageFailure } from "../../cli/map-spec.js";
import type { JsonWriter } from "../../json-writer.js";
import { mapValueBtf, ReusedMapInfo, writeMapHeaderJson } from "./common.js";
import { entryPlain, plainBtfWriter, writeBtfEntry, writeEntryError, writeEntryJson } from "./entry.js";
import { walkMap } from "./iterate.js";
import { mapHeaderPlain } from "./show.js";

const REUSEPORT_SOCKARRAY = 20;

function mapInfo(backend: Backend, fd: Fd): MapInfo {
  try {
    return backend.mapInfo(fd);
  } catch (error) {
    throw new CliError(`can't get map info: ${describeErrno(error)}`, { cause: error });
  }
}

/** bpftool's map_dump: one map's entries; `writer` is the JSON writer (-j) or the plain BTF writer, if any. */
async function dumpOne(
  ctx: Context,
  fd: Fd,
  info: MapInfo,
  writer: JsonWriter | undefined,
  showHeader: boolean,
): Promise<number> {
  const backend = await ctx.objectBackend();
  let btf: Btf | undefined;
  if (writer) {
    btf = await mapValueBtf(ctx, info);
    if (showHeader) {
      writer.startObject();
      writeMapHeaderJson(writer, info);
      writer.name("elements");
    }
    writer.startArray();
  } else if (showHeader) {
    ctx.out.print(mapHeaderPlain(info));
  }
  if (info.type === REUSEPORT_SOCKARRAY && info.valueSize !== 8)
    ctx.info("Warning: cannot read values from reuseport_sockarray map with value_size != 8");
  const plainWriter = ctx.json ? undefined : writer;
  let found = 0;
  const err = walkMap(backend, fd, info, (key, value, errno) => {
    if (value === undefined) {
      writeEntryError(ctx, plainWriter, info, key, errno);
      return;
    }
    found++;
    if (ctx.json) writeEntryJson(ctx.json, info, key, value, btf);
    else if (writer && btf) writeBtfEntry(writer, btf, info, key, value, true);
    else {
      writer?.flush();
      ctx.out.print(entryPlain(info, key, value));
    }
  });
  if (writer) {
    writer.endArray();
    if (showHeader) writer.endObject();
  } else {
    ctx.out.print(`Found ${found} element${found !== 1 ? "s" : ""}\n`);
  }
  return err;
}

export async function dump(ctx: Context, args: Args): Promise<number> {
  if (args.done || args.left !== mapSpecWords(args)) throw usageFailure();
  const fds = await resolveMaps(ctx, args);
  if (fds.length < 1) return -1;
  // where MAP's maps live: the kernel, or the VM for `object FILE` with --backend vm
  const backend = await ctx.objectBackend();
  // bpftool reads the infos twice, each time into one reused struct (see ReusedMapInfo).
  const kernel = backend.name === "kernel";
  const haveBtf = new ReusedMapInfo(kernel);
  const reused = new ReusedMapInfo(kernel);
  const fresh = fds.map((fd) => mapInfo(backend, fd));
  const infos = fresh.map((info) => reused.next(info));
  let writer: JsonWriter | undefined = ctx.json;
  let btfWriter: JsonWriter | undefined;
  if (!ctx.json && fresh.every((info) => haveBtf.next(info).btfId !== 0)) {
    btfWriter = plainBtfWriter(ctx);
    writer = btfWriter;
  }
  const several = fds.length > 1;
  if (writer && several) writer.startArray();
  let err = 0;
  try {
    for (let i = 0; i < fds.length; i++) {
      err = await dumpOne(ctx, fds[i] as Fd, infos[i] as MapInfo, writer, several);
      if (!writer && i !== fds.length - 1) ctx.out.print("\n");
      if (err) break;
    }
  } finally {
    for (const fd of fds) fd.close();
    // What was written before a failure still goes out, in order with the error that follows.
    btfWriter?.flush();
  }
  if (writer && several) writer.endArray();
  btfWriter?.finish();
  return err;
}
