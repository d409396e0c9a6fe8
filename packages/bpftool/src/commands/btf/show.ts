// `bpftool btf { show | list } [id BTF_ID]`: every BTF object the kernel holds (or the one named), with the
// programs and maps that use it. As bpftool 7.1's do_show: the program and map tables are built first (one pass
// over each), then the BTF objects are listed by id. The ref build has no pid iterator, so no `pids`.
import type { KernelBackend } from "@bpfkit/kernel";
import type { BtfInfo, Fd } from "@bpfkit/loader";
import { type Args, isPrefix } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno } from "../../cli/errors.js";
import { openEachById } from "../../cli/object-ids.js";
import { strtoulU32 } from "../../cli/strtoul.js";
import { LibbpfMultiMap } from "./libbpf-hashmap.js";

interface Tables {
  readonly progs: LibbpfMultiMap;
  readonly maps: LibbpfMultiMap;
}

/** bpftool's btf_parse_fd: `id BTF_ID`. */
function openNamed(backend: KernelBackend, args: Args): Fd {
  const keyword = args.next();
  if (!isPrefix(keyword, "id")) throw new CliError(`expected 'id', got: '${keyword}'?`);
  const word = args.next();
  const { value: id, complete } = strtoulU32(word);
  if (!complete) throw new CliError(`can't parse ${word} as ID`);
  try {
    return backend.fdById("btf", id);
  } catch (error) {
    throw new CliError(`can't get BTF object by id (${id}): ${describeErrno(error)}`, { cause: error });
  }
}

/** build_btf_type_table: BTF id -> ids of the programs (or maps) that use it. */
function buildTable(backend: KernelBackend, kind: "prog" | "map"): LibbpfMultiMap {
  const table = new LibbpfMultiMap();
  const walk = { noun: kind, next: `can't get next ${kind}`, tooOldHint: true };
  for (const { id, fd } of openEachById(backend, kind, walk)) {
    let btfId: number;
    try {
      btfId = kind === "prog" ? backend.progInfo(fd).btfId : backend.mapInfo(fd).btfId;
    } catch (error) {
      throw new CliError(`can't get ${kind} info: ${describeErrno(error)}`, { cause: error });
    } finally {
      fd.close();
    }
    if (btfId !== 0) table.append(btfId, id);
  }
  return table;
}

function showPlain(ctx: Context, info: BtfInfo, tables: Tables): void {
  let line = `${info.id}: `;
  if (info.kernelBtf) line += `name [${info.name}]  `;
  else if (info.name !== "") line += `name ${info.name}  `;
  else line += "name <anon>  ";
  line += `size ${info.size}B`;
  const progs = tables.progs.values(info.id);
  if (progs.length > 0) line += `  prog_ids ${progs.join(",")}`;
  const maps = tables.maps.values(info.id);
  if (maps.length > 0) line += `  map_ids ${maps.join(",")}`;
  ctx.out.print(`${line}\n`);
}

function showJson(ctx: Context, info: BtfInfo, tables: Tables): void {
  const json = ctx.json!;
  json.startObject();
  json.numberField("id", info.id);
  json.numberField("size", info.size);
  json.name("prog_ids").startArray();
  for (const id of tables.progs.values(info.id)) json.number(id);
  json.endArray();
  json.name("map_ids").startArray();
  for (const id of tables.maps.values(info.id)) json.number(id);
  json.endArray();
  json.boolField("kernel", info.kernelBtf);
  if (info.name !== "") json.stringField("name", info.name);
  json.endObject();
}

function showOne(ctx: Context, backend: KernelBackend, fd: Fd, tables: Tables): void {
  let info: BtfInfo;
  try {
    info = backend.btfInfo(fd);
  } catch (error) {
    throw new CliError(`can't get BTF object info: ${describeErrno(error)}`, { cause: error });
  }
  if (ctx.json) showJson(ctx, info, tables);
  else showPlain(ctx, info, tables);
}

export async function show(ctx: Context, args: Args): Promise<number> {
  const backend = await ctx.backend();
  let named: Fd | undefined;
  if (args.left === 2) named = openNamed(backend, args);
  try {
    if (!args.done) throw new CliError(`what is '${args.peek()}'?`);
    const tables = { progs: buildTable(backend, "prog"), maps: buildTable(backend, "map") };
    if (named) {
      showOne(ctx, backend, named, tables);
      return 0;
    }
    ctx.json?.startArray();
    const walk = { noun: "BTF object", next: "can't get next BTF object", tooOldHint: true };
    for (const { fd } of openEachById(backend, "btf", walk)) {
      try {
        showOne(ctx, backend, fd, tables);
      } finally {
        fd.close();
      }
    }
    ctx.json?.endArray();
    return 0;
  } finally {
    named?.close();
  }
}
