// `bpftool map { show | list } [MAP]`: bpftool 7.1.0's show_map_close_json/plain, for every map or those MAP
// names. Memlock, frozen and a prog array's owner come from fdinfo; `pinned` (-f) from a walk of bpffs.
import { bpftoolMapType, bpftoolProgType } from "@bpfkit/asm";
import type { KernelBackend } from "@bpfkit/kernel";
import type { Fd, MapInfo } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno } from "../../cli/errors.js";
import { atoi, fdinfoField } from "../../cli/fdinfo.js";
import { mapSpecWords, resolveMaps } from "../../cli/map-spec.js";
import { devPlain, writeDevJson } from "../../cli/netdev.js";
import { openEachById } from "../../cli/object-ids.js";
import { buildPinnedTable, type PinnedTable } from "../../cli/pinned-table.js";
import type { JsonWriter } from "../../json-writer.js";
import { badArg, ReusedMapInfo, writeMapHeaderJson } from "./common.js";

const PROG_ARRAY = 3;

/** bpftool's show_map_header_plain: `ID: TYPE  name NAME  flags 0x..` and a newline. */
export function mapHeaderPlain(info: MapInfo): string {
  const type = bpftoolMapType(info.type);
  let out = `${info.id}: ${typeof type === "string" ? `${type}  ` : `type ${type}  `}`;
  if (info.name !== "") out += `name ${info.name}  `;
  return `${out}flags 0x${(info.flags >>> 0).toString(16)}${devPlain(info)}\n`;
}

function writeMapJson(json: JsonWriter, fd: Fd, info: MapInfo, pinned: PinnedTable | undefined): void {
  const memlock = fdinfoField(fd, "memlock");
  const frozen = fdinfoField(fd, "frozen");
  json.startObject();
  writeMapHeaderJson(json, info);
  writeDevJson(json, info);
  json.numberField("bytes_key", info.keySize);
  json.numberField("bytes_value", info.valueSize);
  json.numberField("max_entries", info.maxEntries);
  if (memlock !== undefined) json.numberField("bytes_memlock", atoi(memlock));
  if (info.type === PROG_ARRAY) {
    const ownerType = fdinfoField(fd, "owner_prog_type");
    const ownerJited = fdinfoField(fd, "owner_jited");
    if (ownerType !== undefined) {
      const type = bpftoolProgType(atoi(ownerType) >>> 0);
      if (typeof type === "string") json.stringField("owner_prog_type", type);
      else json.numberField("owner_prog_type", type);
    }
    if (ownerJited !== undefined) json.boolField("owner_jited", atoi(ownerJited) !== 0);
  }
  json.numberField("frozen", frozen === undefined ? 0 : atoi(frozen));
  if (info.btfId) json.numberField("btf_id", info.btfId);
  if (pinned && pinned.size > 0) {
    json.name("pinned").startArray();
    for (const path of pinned.get(info.id)) json.string(path);
    json.endArray();
  }
  json.endObject();
}

function mapPlain(fd: Fd, info: MapInfo, pinned: PinnedTable | undefined): string {
  const memlock = fdinfoField(fd, "memlock");
  const frozenText = fdinfoField(fd, "frozen");
  let out = mapHeaderPlain(info);
  out += `\tkey ${info.keySize}B  value ${info.valueSize}B  max_entries ${info.maxEntries}`;
  if (memlock !== undefined) out += `  memlock ${memlock}B`;
  if (info.type === PROG_ARRAY) {
    const ownerType = fdinfoField(fd, "owner_prog_type");
    const ownerJited = fdinfoField(fd, "owner_jited");
    if (ownerType !== undefined || ownerJited !== undefined) out += "\n\t";
    if (ownerType !== undefined) {
      const type = bpftoolProgType(atoi(ownerType) >>> 0);
      out += typeof type === "string" ? `owner_prog_type ${type}  ` : `owner_prog_type ${atoi(ownerType)}  `;
    }
    if (ownerJited !== undefined) out += `owner${atoi(ownerJited) ? "" : " not"} jited`;
  }
  if (pinned && pinned.size > 0) for (const path of pinned.get(info.id)) out += `\n\tpinned ${path}`;
  const frozen = frozenText === undefined ? 0 : atoi(frozenText);
  if (info.btfId || frozen) out += "\n\t";
  if (info.btfId) out += `btf_id ${info.btfId}`;
  if (frozen) out += `${info.btfId ? "  " : ""}frozen`;
  return `${out}\n`;
}

function showOne(ctx: Context, fd: Fd, info: MapInfo, pinned: PinnedTable | undefined): void {
  if (ctx.json) writeMapJson(ctx.json, fd, info, pinned);
  else ctx.out.print(mapPlain(fd, info, pinned));
}

function infoOf(backend: KernelBackend, fd: Fd): MapInfo {
  try {
    return backend.mapInfo(fd);
  } catch (error) {
    throw new CliError(`can't get map info: ${describeErrno(error)}`, { cause: error });
  }
}

export async function show(ctx: Context, args: Args): Promise<number> {
  // ours: the maps of an object file, read from the file alone (no kernel, no root)
  if (!args.done && args.left === mapSpecWords(args)) {
    const { isObjectMapSpec, showObjectMaps } = await import("./object-show.js");
    if (isObjectMapSpec(args)) return showObjectMaps(ctx, args);
  }
  if (!args.done && args.left === mapSpecWords(args)) {
    const fds = await resolveMaps(ctx, args);
    const backend = await ctx.backend();
    const pinned = ctx.options.bpffs ? buildPinnedTable(backend, "map") : undefined;
    if (fds.length < 1) return -1;
    const json = ctx.json;
    if (json && fds.length > 1) json.startArray();
    const reused = new ReusedMapInfo();
    try {
      for (const fd of fds) showOne(ctx, fd, reused.next(infoOf(backend, fd)), pinned);
    } finally {
      for (const fd of fds) fd.close();
    }
    if (json && fds.length > 1) json.endArray();
    return 0;
  }
  if (!args.done) throw badArg(args);
  const backend = await ctx.backend("has no kernel maps to list: 'map show' takes 'object FILE [map NAME]'");
  const pinned = ctx.options.bpffs ? buildPinnedTable(backend, "map") : undefined;
  ctx.json?.startArray();
  const reused = new ReusedMapInfo();
  const walk = { noun: "map", next: "can't get next map", tooOldHint: true };
  for (const { fd } of openEachById(backend, "map", walk)) {
    try {
      showOne(ctx, fd, reused.next(infoOf(backend, fd)), pinned);
    } finally {
      fd.close();
    }
  }
  ctx.json?.endArray();
  return 0;
}
