// STRUCT_OPS_MAP := [ id ID | name NAME ]: bpftool's walk over struct_ops maps (all of them, those named NAME,
// or one id) running a command on each, and its accounting of maps found and errors.
import { BPFTOOL_MAP_TYPE_NAMES } from "@bpfkit/asm";
import { type KernelBackend, kernelEnvironment } from "@bpfkit/kernel";
import type { Fd, MapInfo } from "@bpfkit/loader";
import { isPrefix } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { type CliError, describeErrno } from "../../cli/errors.js";
import { openEachById } from "../../cli/object-ids.js";
import { strtoul } from "../../cli/strtoul.js";
import type { JsonWriter } from "../../json-writer.js";
import { printError } from "../report.js";

const STRUCT_OPS = BPFTOOL_MAP_TYPE_NAMES.indexOf("struct_ops");
const VALUE_PREFIX = "bpf_struct_ops_";

/** The kernel's struct_ops name of a map (tcp_congestion_ops ...): its value type's name without the prefix. */
export function kernelStructOpsName(info: MapInfo): string {
  try {
    return kernelEnvironment().vmlinux.nameOf(info.btfVmlinuxValueTypeId).slice(VALUE_PREFIX.length);
  } catch {
    return "<btf_vmlinux_not_found>";
  }
}

/** One struct_ops map; 0 or an error (negative). `wtr`: where JSON goes (undefined: the work prints its own). */
export type Work = (fd: Fd, info: MapInfo, wtr: JsonWriter | undefined) => number;

export interface Tally {
  maps: number;
  errors: number;
}

/** bpftool's cmd_retval. */
export function retval(tally: Tally, mustHaveOne: boolean): number {
  return tally.errors || (!tally.maps && mustHaveOne) ? -1 : 0;
}

/** The map's info; bpftool's message and undefined when the kernel will not say. */
function infoOrReport(ctx: Context, backend: KernelBackend, fd: Fd): MapInfo | undefined {
  try {
    return backend.mapInfo(fd);
  } catch (error) {
    printError(ctx, `can't get map info: ${describeErrno(error)}`);
    return undefined;
  }
}

function search(
  ctx: Context,
  backend: KernelBackend,
  name: string | undefined,
  work: Work,
  wtr: JsonWriter | undefined,
): Tally {
  const tally: Tally = { maps: 0, errors: 0 };
  wtr?.startArray();
  let failed = false;
  const onError = (error: CliError) => {
    printError(ctx, error.message);
    failed = true;
  };
  for (const { fd } of openEachById(backend, "map", { noun: "map", next: "can't get next map", onError })) {
    try {
      const info = infoOrReport(ctx, backend, fd);
      if (info === undefined) {
        failed = true;
        break;
      }
      if (info.type !== STRUCT_OPS || (name !== undefined && name !== info.name)) continue;
      tally.maps++;
      if (work(fd, info, wtr)) tally.errors++;
    } finally {
      fd.close();
    }
  }
  wtr?.endArray();
  if (failed) tally.errors++;
  // without a writer nothing printed `[]`: say so, or print the `null` every command prints
  if (!wtr && name !== undefined && !tally.errors && !tally.maps) printError(ctx, `no struct_ops found for ${name}`);
  else if (!wtr && ctx.json && !tally.errors) ctx.json.null();
  return tally;
}

function one(ctx: Context, backend: KernelBackend, word: string, work: Work, wtr: JsonWriter | undefined): Tally {
  const tally: Tally = { maps: 0, errors: 0 };
  const { value, complete } = strtoul(word);
  if (!complete || value === 0n || value > 0xffffffffn) {
    printError(ctx, `invalid id ${word}`);
    tally.errors++;
    return tally;
  }
  let fd: Fd;
  try {
    fd = backend.fdById("map", Number(value));
  } catch (error) {
    printError(ctx, `can't get map by id (${value}): ${describeErrno(error)}`);
    tally.errors++;
    return tally;
  }
  try {
    const info = infoOrReport(ctx, backend, fd);
    if (info === undefined) {
      tally.errors++;
      return tally;
    }
    if (info.type !== STRUCT_OPS) {
      printError(ctx, `${info.name} id ${info.id} is not a struct_ops map`);
      tally.errors++;
      return tally;
    }
    tally.maps++;
    if (work(fd, info, wtr)) tally.errors++;
    else if (!wtr && ctx.json) ctx.json.null();
  } finally {
    fd.close();
  }
  return tally;
}

/**
 * bpftool's do_work_on_struct_ops. `type` is the word before the term (`id`, `name`, or a prefix); undefined
 * walks every struct_ops map. Returns undefined where bpftool calls usage() (a type that is neither).
 */
export async function workOnStructOps(
  ctx: Context,
  type: string | undefined,
  term: string | undefined,
  work: Work,
  wtr: JsonWriter | undefined,
): Promise<Tally | undefined> {
  const backend = await ctx.backend();
  if (type !== undefined) {
    if (isPrefix(type, "id")) return one(ctx, backend, term ?? "", work, wtr);
    if (!isPrefix(type, "name")) return undefined;
  }
  return search(ctx, backend, term, work, wtr);
}
