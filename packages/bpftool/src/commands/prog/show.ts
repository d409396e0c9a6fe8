// `prog show | list [PROG]`: bpftool's show_prog, JSON (print_prog_json) and plain text (print_prog_plain) with
// the same fields in the same order. The header part is shared with `prog dump` of several programs.
import { bpftoolProgType } from "@bpfkit/asm";
import { Kind } from "@bpfkit/btf";
import type { Backend, Fd, ProgInfo } from "@bpfkit/loader";
import { formatBtfValue } from "../../btf-dumper/index.js";
import type { Args, CommandResult } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno } from "../../cli/errors.js";
import { atoll, fdinfoField } from "../../cli/fdinfo.js";
import { devPlain, writeDevJson } from "../../cli/netdev.js";
import { openEachById } from "../../cli/object-ids.js";
import { buildPinnedTable, type PinnedTable } from "../../cli/pinned-table.js";
import { progBtf, progFullName, resolveProgTarget } from "../../cli/prog-spec.js";
import { JsonWriter } from "../../json-writer.js";
import { bootTimeText } from "./info.js";

const BPF_MAP_TYPE_ARRAY = 2;
const METADATA_PREFIX = "bpf_metadata_";

/** What one `show` run shares between programs: the pinned table (-f). */
interface ShowState {
  readonly backend: Backend;
  readonly pinned: PinnedTable | undefined;
}

export function progInfoOrThrow(backend: Backend, fd: Fd): ProgInfo {
  try {
    return backend.progInfo(fd);
  } catch (error) {
    throw new CliError(`can't get prog info: ${describeErrno(error)}`, { cause: error });
  }
}

/** bpftool's print_prog_header_json: id, type, name, tag, gpl_compatible, run time and recursion counters. */
export function printHeaderJson(ctx: Context, backend: Backend, fd: Fd, info: ProgInfo): void {
  const json = ctx.json!;
  json.numberField("id", info.id);
  const type = bpftoolProgType(info.type);
  if (typeof type === "string") json.stringField("type", type);
  else json.numberField("type", info.type);
  if (info.name !== "") json.stringField("name", progFullName(backend, fd, info));
  json.name("tag").unescaped(info.tag);
  json.boolField("gpl_compatible", info.gplCompatible);
  if (info.runTimeNs !== 0n) {
    json.numberField("run_time_ns", info.runTimeNs);
    json.numberField("run_cnt", info.runCnt);
  }
  if (info.recursionMisses !== 0n) json.numberField("recursion_misses", info.recursionMisses);
}

/** bpftool's print_prog_header_plain: `ID: TYPE  name NAME  tag TAG[  offloaded_to DEV]  gpl ...` and a newline. */
export function headerPlain(backend: Backend, fd: Fd, info: ProgInfo): string {
  let out = `${info.id}: `;
  const type = bpftoolProgType(info.type);
  out += typeof type === "string" ? `${type}  ` : `type ${info.type}  `;
  if (info.name !== "") out += `name ${progFullName(backend, fd, info)}  `;
  out += `tag ${info.tag}`;
  out += devPlain(info);
  if (info.gplCompatible) out += "  gpl";
  if (info.runTimeNs !== 0n)
    out += ` run_time_ns ${BigInt.asIntN(64, info.runTimeNs)} run_cnt ${BigInt.asIntN(64, info.runCnt)}`;
  if (info.recursionMisses !== 0n) out += ` recursion_misses ${BigInt.asIntN(64, info.recursionMisses)}`;
  return `${out}\n`;
}

/** fdinfo's memlock: the kernel's accounting, which the VM's programs do not have (bpftool leaves it out then). */
function memlockOf(state: ShowState, fd: Fd): string | undefined {
  return state.backend.name === "kernel" ? fdinfoField(fd, "memlock") : undefined;
}

function showJson(ctx: Context, state: ShowState, fd: Fd, info: ProgInfo): void {
  const json = ctx.json!;
  const { backend } = state;
  json.startObject();
  printHeaderJson(ctx, backend, fd, info);
  writeDevJson(json, info);
  if (info.loadTime !== 0n) {
    json.name("loaded_at").raw(bootTimeText(info.loadTime, true));
    json.numberField("uid", info.createdByUid);
  }
  json.numberField("bytes_xlated", info.xlatedProgLen);
  json.boolField("jited", info.jitedProgLen !== 0);
  if (info.jitedProgLen !== 0) json.numberField("bytes_jited", info.jitedProgLen);
  const memlock = memlockOf(state, fd);
  if (memlock !== undefined) json.numberField("bytes_memlock", atoll(memlock));
  if (info.mapIds.length > 0) {
    json.name("map_ids").startArray();
    for (const id of info.mapIds) json.number(id);
    json.endArray();
  }
  if (info.btfId !== 0) json.numberField("btf_id", info.btfId | 0);
  if (state.pinned !== undefined && state.pinned.size > 0) {
    json.name("pinned").startArray();
    for (const path of state.pinned.get(info.id)) json.string(path);
    json.endArray();
  }
  showMetadata(ctx, backend, info);
  json.endObject();
}

function showPlain(ctx: Context, state: ShowState, fd: Fd, info: ProgInfo): void {
  const { backend } = state;
  let out = headerPlain(backend, fd, info);
  if (info.loadTime !== 0n) out += `\tloaded_at ${bootTimeText(info.loadTime, false)}  uid ${info.createdByUid}\n`;
  out += `\txlated ${info.xlatedProgLen}B`;
  out += info.jitedProgLen !== 0 ? `  jited ${info.jitedProgLen}B` : "  not jited";
  const memlock = memlockOf(state, fd);
  if (memlock !== undefined) out += `  memlock ${memlock}B`;
  if (info.mapIds.length > 0) out += `  map_ids ${info.mapIds.join(",")}`;
  if (state.pinned !== undefined && state.pinned.size > 0)
    for (const path of state.pinned.get(info.id)) out += `\n\tpinned ${path}`;
  if (info.btfId !== 0) out += `\n\tbtf_id ${info.btfId | 0}`;
  ctx.out.print(`${out}\n`);
  showMetadata(ctx, backend, info);
}

/**
 * bpftool's find_metadata: the value of the first of the program's maps that looks like a .rodata map (one-entry
 * array with 4-byte keys and a BTF value type); undefined when there is none or anything fails.
 */
function findMetadata(
  backend: Backend,
  info: ProgInfo,
): { value: Uint8Array; btfId: number; valueTypeId: number } | undefined {
  for (const id of info.mapIds) {
    let fd: Fd;
    try {
      fd = backend.fdById("map", id);
    } catch {
      return undefined;
    }
    try {
      const map = backend.mapInfo(fd);
      if (
        map.type !== BPF_MAP_TYPE_ARRAY ||
        map.keySize !== 4 ||
        map.maxEntries !== 1 ||
        map.btfValueTypeId === 0 ||
        !map.name.includes(".rodata")
      )
        continue;
      const value = new Uint8Array(map.valueSize);
      if (!backend.mapLookup(fd, new Uint8Array(4), value)) return undefined;
      return { value, btfId: map.btfId, valueTypeId: map.btfValueTypeId };
    } catch {
      return undefined;
    } finally {
      fd.close();
    }
  }
  return undefined;
}

/** bpftool's show_prog_metadata: `bpf_metadata_*` variables of the program's .rodata, formatted from BTF. */
function showMetadata(ctx: Context, backend: Backend, info: ProgInfo): void {
  if (info.mapIds.length === 0) return;
  const found = findMetadata(backend, info);
  if (found === undefined) return;
  const btf = progBtf(backend, found.btfId);
  if (btf === undefined || found.valueTypeId >= btf.typeCount || btf.kind(found.valueTypeId) !== Kind.DATASEC) return;
  let header = false;
  const json = ctx.json;
  const plainWriter = json ? undefined : new JsonWriter(false);
  for (let i = 0; i < btf.vlen(found.valueTypeId); i++) {
    const v = { type: btf.datasecVarType(found.valueTypeId, i), offset: btf.datasecVarOffset(found.valueTypeId, i) };
    const name = btf.nameOf(v.type);
    if (!name.startsWith(METADATA_PREFIX)) continue;
    if (!header) {
      if (json) json.name("metadata").startObject();
      else ctx.out.print("\tmetadata:");
      header = true;
    }
    const data = found.value.subarray(v.offset);
    const varType = btf.refType(v.type);
    if (json) {
      json.name(name.slice(METADATA_PREFIX.length));
      const err = formatBtfValue(json, btf, varType, data);
      if (err) {
        reportInline(ctx, `btf dump failed: ${err}`);
        break;
      }
    } else {
      ctx.out.print(`\n\t\t${name.slice(METADATA_PREFIX.length)} = `);
      plainWriter!.reset();
      const err = formatBtfValue(plainWriter!, btf, varType, data, { plainText: true });
      ctx.out.print(plainWriter!.take());
      if (err) {
        reportInline(ctx, `btf dump failed: ${err}`);
        break;
      }
    }
  }
  if (!header) return;
  if (json) json.endObject();
  else ctx.out.print("\n");
}

/** bpftool's p_err in the middle of a listing: reported, and the listing goes on. */
function reportInline(ctx: Context, message: string): void {
  if (ctx.json) ctx.json.startObject().name("error").unescaped(message).endObject();
  else ctx.out.error(`Error: ${message}\n`);
}

function showOne(ctx: Context, state: ShowState, fd: Fd): void {
  const info = progInfoOrThrow(state.backend, fd);
  if (ctx.json) showJson(ctx, state, fd, info);
  else showPlain(ctx, state, fd, info);
}

export async function doShow(ctx: Context, args: Args): Promise<CommandResult> {
  if (args.left === 2 || (args.left >= 2 && args.is("object"))) return showSubset(ctx, args);
  const backend = await ctx.backend("has no kernel programs to list: 'prog show' takes 'object FILE [program NAME]'");
  const state: ShowState = {
    backend,
    pinned: ctx.options.bpffs ? buildPinnedTable(backend, "prog") : undefined,
  };
  if (!args.done) throw new CliError(`what is '${args.peek()}'?`);
  // bpftool reports a failure inside the listing (its JSON array stays one document) and stops there.
  const json = ctx.json;
  json?.startArray();
  let ret = 0;
  try {
    const walk = { noun: "prog", next: "can't get next program", tooOldHint: true };
    for (const { fd } of openEachById(backend, "prog", walk)) {
      try {
        showOne(ctx, state, fd);
      } finally {
        fd.close();
      }
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    reportInline(ctx, error.message);
    ret = error.ret;
  }
  json?.endArray();
  return ret;
}

async function showSubset(ctx: Context, args: Args): Promise<CommandResult> {
  const { fds } = await resolveProgTarget(ctx, args);
  // where PROG's programs live: the kernel, or the VM for `object FILE` with --backend vm (no pins there)
  const backend = await ctx.objectBackend();
  const kernel = backend.name === "kernel" ? await ctx.backend() : undefined;
  const state: ShowState = {
    backend,
    pinned: ctx.options.bpffs && kernel !== undefined ? buildPinnedTable(kernel, "prog") : undefined,
  };
  if (!args.done) {
    for (const fd of fds) fd.close();
    throw new CliError(`what is '${args.peek()}'?`);
  }
  // a name or tag that matches nothing: bpftool fails without a message
  if (fds.length === 0) return -1;
  const json = ctx.json;
  const several = fds.length > 1;
  if (json && several) json.startArray();
  let ret = 0;
  try {
    for (const fd of fds) showOne(ctx, state, fd);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    reportInline(ctx, error.message);
    ret = error.ret;
  } finally {
    for (const fd of fds) fd.close();
  }
  if (json && several) json.endArray();
  return ret;
}
