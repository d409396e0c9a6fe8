// MAP on the command line: `id ID | pinned FILE | name NAME` as bpftool's map_parse_fds takes it, plus ours,
// `object FILE [map NAME]`. Owned by the map commands; map, prog and btf commands resolve MAP through here.
import { readFileSync } from "node:fs";
import type { KernelBackend } from "@bpfkit/kernel";
import type { Fd, MapInfo } from "@bpfkit/loader";
import { type Args, isPrefix } from "./args.js";
import { type Context, vmRefusal } from "./context.js";
import { CliError, describeErrno } from "./errors.js";
import { openMatching } from "./object-ids.js";
import { openPinnedOfType } from "./pinned-object.js";
import { strtoulU32 } from "./strtoul.js";

const BPF_OBJ_NAME_LEN = 16;

/** bpftool's usage(): the object's help and a failure, with no message of its own. */
export function usageFailure(): CliError {
  return new CliError("", { usage: true, silent: true });
}

/** Every map whose name is `name` (bpftool compares the 15 characters the kernel keeps). */
function mapsByName(backend: KernelBackend, name: string): Fd[] {
  const wanted = name.slice(0, BPF_OBJ_NAME_LEN);
  return openMatching(
    backend,
    "map",
    (fd) => backend.mapInfo(fd),
    (info) => info.name === wanted,
  );
}

/** Ours: `object FILE [map NAME]`, the maps of an object file loaded for this run (released with it). */
async function mapsOfObject(ctx: Context, args: Args): Promise<Fd[]> {
  const path = args.next();
  let mapName: string | undefined;
  if (args.left >= 2 && args.is("map")) {
    args.skip();
    mapName = args.next();
  }
  const [{ loadCollection }, { openObject }] = await Promise.all([
    import("./kernel-collection.js"),
    import("./open-object.js"),
  ]);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new CliError(`failed to open object file '${path}': ${describeErrno(error)}`, { cause: error });
  }
  // the VM with --backend vm
  const backend = await ctx.objectBackend();
  let collection: ReturnType<typeof loadCollection>;
  try {
    const spec = openObject(bytes, { path });
    // Loaded only to be looked at: pinning by name would leave the maps behind after the run.
    const unpinned = { ...spec, maps: spec.maps.map((m) => ({ ...m, pinning: "none" as const })) };
    collection = loadCollection(unpinned, { backend });
  } catch (error) {
    throw new CliError(`failed to load object file '${path}': ${(error as Error).message}`, { cause: error });
  }
  ctx.defer(() => collection.close());
  if (mapName === undefined) return [...collection.maps.values()].map((m) => m.fd);
  const map = collection.maps.get(mapName);
  if (map === undefined) {
    const names = [...collection.maps.keys()];
    throw new CliError(`no map named '${mapName}' in ${path}${names.length > 0 ? ` (maps: ${names.join(", ")})` : ""}`);
  }
  return [map.fd];
}

/**
 * How many of the words at the cursor MAP would take: 2 for bpftool's forms (`id N`, `pinned F`, `name N`), and for
 * ours `object FILE` 2, or 4 with `map NAME`. Commands that check their word count (show, dump) count MAP so.
 */
export function mapSpecWords(args: Args): number {
  if (args.peek() !== undefined && args.peek() !== "" && args.is("object") && !args.is("id"))
    return args.left >= 4 && isPrefix(args.peek(2), "map") ? 4 : 2;
  return 2;
}

/** With `--backend vm`, MAP forms that name maps in the kernel are refused. */
function refuseOnVm(ctx: Context, keyword: string): void {
  if (ctx.options.backend === "vm")
    throw vmRefusal(`holds maps given as 'object FILE [map NAME]' only: '${keyword}' names kernel maps`);
}

/**
 * Every map MAP names (several for `name`, none when no map has that name), each fd closed with the run.
 * Consumes MAP's words from `args`.
 */
export async function resolveMaps(ctx: Context, args: Args): Promise<Fd[]> {
  const word = args.peek();
  if (word === undefined) throw usageFailure();
  if (args.is("id")) {
    refuseOnVm(ctx, "id");
    args.skip();
    if (args.done) throw usageFailure();
    const text = args.next();
    const { value: id, complete } = strtoulU32(text);
    if (!complete) throw new CliError(`can't parse ${text} as ID`);
    const backend = await ctx.backend();
    try {
      return [backend.fdById("map", id)];
    } catch (error) {
      throw new CliError(`get map by id (${id}): ${describeErrno(error)}`, { cause: error });
    }
  }
  if (args.is("name")) {
    refuseOnVm(ctx, "name");
    args.skip();
    if (args.done) throw usageFailure();
    const name = args.next();
    if (Buffer.byteLength(name) > BPF_OBJ_NAME_LEN - 1) throw new CliError("can't parse name");
    return mapsByName(await ctx.backend(), name);
  }
  if (args.is("pinned")) {
    refuseOnVm(ctx, "pinned");
    args.skip();
    if (args.done) throw usageFailure();
    const path = args.next();
    return [openPinnedOfType(await ctx.backend(), path, "map")];
  }
  if (word.length > 0 && args.is("object")) {
    args.skip();
    if (args.done) throw usageFailure();
    return mapsOfObject(ctx, args);
  }
  throw new CliError(`expected 'id', 'name' or 'pinned', got: '${word}'?`);
}

/** The one map MAP names: bpftool's map_parse_fd (no match fails silently, several is an error). */
export async function resolveMap(ctx: Context, args: Args): Promise<Fd> {
  const fds = await resolveMaps(ctx, args);
  if (fds.length === 1) return fds[0] as Fd;
  for (const fd of fds) fd.close();
  if (fds.length === 0) throw new CliError("no map matches this handle", { silent: true });
  throw new CliError("several maps match this handle");
}

/** bpftool's map_parse_fd_and_info: the one map MAP names and its info. */
export async function resolveMapWithInfo(ctx: Context, args: Args): Promise<{ fd: Fd; info: MapInfo }> {
  const fd = await resolveMap(ctx, args);
  const backend = await ctx.objectBackend();
  try {
    return { fd, info: backend.mapInfo(fd) };
  } catch (error) {
    fd.close();
    throw new CliError(`can't get map info: ${describeErrno(error)}`, { cause: error });
  }
}
