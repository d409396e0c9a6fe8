import { type Btf, Kind } from "@bpfkit/btf";
import type { Collection } from "@bpfkit/kernel";
import type { Backend, Fd, ProgInfo } from "@bpfkit/loader";
import type { Args } from "./args.js";
import { btfById } from "./btf-by-id.js";
import { type Context, vmRefusal } from "./context.js";
import { CliError, describeErrno, usageError } from "./errors.js";
import { openMatching } from "./object-ids.js";
import { openPinnedOfType } from "./pinned-object.js";
import { strtoulU32 } from "./strtoul.js";

/** bpftool's MAX_PROG_FULL_NAME: names longer than 127 bytes cannot name a program. */
const MAX_PROG_FULL_NAME = 128;
const BPF_OBJ_NAME_LEN = 16;

/** What PROG named: the programs' fds, and for `object FILE` the loaded collection (closed with the run). */
export interface ResolvedProgs {
  readonly fds: Fd[];
  readonly collection?: Collection;
}

/** Every program PROG names (several for `tag`/`name`), each fd closed with the run. */
export async function resolveProgs(ctx: Context, args: Args): Promise<Fd[]> {
  return (await resolveProgTarget(ctx, args)).fds;
}

/** The one program PROG names; an error when it names several (bpftool's prog_parse_fd). */
export async function resolveProg(ctx: Context, args: Args): Promise<Fd> {
  const resolved = await resolveProgTarget(ctx, args);
  return singleProg(resolved).fd;
}

/** The one program of a resolved PROG, with its collection for `object FILE`. */
export function singleProg(resolved: ResolvedProgs): { fd: Fd; collection?: Collection } {
  const { fds } = resolved;
  if (fds.length > 1) {
    for (const fd of fds) fd.close();
    throw new CliError("several programs match this handle");
  }
  // bpftool's prog_parse_fd fails without a word of its own when a name or tag matches nothing.
  if (fds.length === 0) throw new CliError("no program matches this handle", { silent: true });
  return { fd: fds[0] as Fd, collection: resolved.collection };
}

/** bpftool's NEXT_ARGP: the keyword's value, a usage error (bpftool exits through usage()) when there is none. */
function value(args: Args): string {
  const keyword = args.previous() ?? "";
  if (args.done) throw usageError(`'${keyword}' needs at least 1 arguments, 0 found`);
  return args.next();
}

/** With `--backend vm`, PROG forms that name programs in the kernel are refused. */
function refuseOnVm(ctx: Context, keyword: string): void {
  if (ctx.options.backend === "vm")
    throw vmRefusal(`runs programs given as 'object FILE [program NAME]' only: '${keyword}' names kernel programs`);
}

/** PROG as bpftool's prog_parse_fds reads it, and ours, `object FILE [program NAME]`. */
export async function resolveProgTarget(ctx: Context, args: Args): Promise<ResolvedProgs> {
  const word = args.peek();
  if (word !== undefined && args.is("id")) {
    refuseOnVm(ctx, "id");
    args.skip();
    const text = value(args);
    const { value: id, complete } = strtoulU32(text);
    if (!complete) throw new CliError(`can't parse ${text} as ID`);
    const backend = await ctx.backend();
    try {
      return { fds: [backend.fdById("prog", id)] };
    } catch (error) {
      throw new CliError(`get by id (${id}): ${describeErrno(error)}`, { cause: error });
    }
  }
  if (word !== undefined && args.is("tag")) {
    refuseOnVm(ctx, "tag");
    args.skip();
    const tag = parseTag(value(args));
    if (tag === undefined) throw new CliError("can't parse tag");
    return { fds: await progsMatching(ctx, (info) => info.tag === tag) };
  }
  if (word !== undefined && args.is("name")) {
    refuseOnVm(ctx, "name");
    args.skip();
    const name = value(args);
    if (Buffer.byteLength(name) > MAX_PROG_FULL_NAME - 1) throw new CliError("can't parse name");
    return { fds: await progsMatching(ctx, (info, fd, backend) => progFullName(backend, fd, info) === name) };
  }
  if (word !== undefined && args.is("pinned")) {
    refuseOnVm(ctx, "pinned");
    args.skip();
    const path = value(args);
    return { fds: [openPinnedOfType(await ctx.backend(), path, "prog")] };
  }
  if (word !== undefined && args.is("object")) {
    args.skip();
    return loadObjectProgs(ctx, value(args), args);
  }
  throw new CliError(`expected 'id', 'tag', 'name' or 'pinned', got: '${word ?? "(null)"}'?`);
}

/**
 * sscanf(word, "%02hhx" x 8) == 8: eight fields of at most two hex digits, blanks allowed before each, anything
 * after the eighth ignored. Returns the tag as 16 lowercase hex digits.
 */
export function parseTag(word: string): string | undefined {
  let pos = 0;
  let out = "";
  for (let field = 0; field < 8; field++) {
    while (/\s/.test(word[pos] ?? "x")) pos++;
    let width = 2;
    let negative = false;
    if (word[pos] === "+" || word[pos] === "-") {
      negative = word[pos] === "-";
      pos++;
      width--;
    }
    let digits = "";
    while (width > 0 && /[0-9a-fA-F]/.test(word[pos] ?? "")) {
      digits += word[pos];
      pos++;
      width--;
    }
    if (digits === "") return undefined;
    let byte = Number.parseInt(digits, 16);
    if (negative) byte = (256 - byte) & 0xff;
    out += byte.toString(16).padStart(2, "0");
  }
  return out;
}

/** Every loaded program `match` accepts, in id order (bpftool's prog_fd_by_nametag). */
async function progsMatching(
  ctx: Context,
  match: (info: ProgInfo, fd: Fd, backend: Backend) => boolean,
): Promise<Fd[]> {
  const backend = await ctx.backend();
  return openMatching(
    backend,
    "prog",
    (fd) => backend.progInfo(fd),
    (info, fd) => match(info, fd, backend),
  );
}

/**
 * bpftool's get_prog_full_name: the kernel keeps 15 bytes of a name; when all 15 are used, the name of the
 * program's first BTF function (its full C name) is shown instead, if the program has BTF.
 */
export function progFullName(backend: Backend, fd: Fd, info: ProgInfo): string {
  if (Buffer.byteLength(info.name) < BPF_OBJ_NAME_LEN - 1) return info.name;
  if (info.btfId === 0 || info.nrFuncInfo === 0) return info.name;
  try {
    const { funcInfo } = backend.progExtInfo(fd);
    if (funcInfo.bytes.length < 8) return info.name;
    const typeId = new DataView(funcInfo.bytes.buffer, funcInfo.bytes.byteOffset).getUint32(4, true);
    const btf = progBtf(backend, info.btfId);
    if (btf === undefined || typeId === 0 || typeId >= btf.typeCount) return info.name;
    return btf.kind(typeId) === Kind.FUNC ? btf.nameOf(typeId) : info.name;
  } catch {
    return info.name;
  }
}

/** A program's (or map's) BTF object by id; undefined when it cannot be read. */
export function progBtf(backend: Backend, btfId: number): Btf | undefined {
  try {
    return btfById(backend, btfId);
  } catch {
    return undefined;
  }
}

/**
 * Ours: `object FILE [program NAME]`. The object is loaded (only the named program, if one is named) into the
 * run's backend and closed with the run; maps it would pin by name are not pinned, so nothing outlives the run.
 */
async function loadObjectProgs(ctx: Context, path: string, args: Args): Promise<ResolvedProgs> {
  let program: string | undefined;
  if (args.peek() === "program") {
    args.skip();
    program = value(args);
  }
  const { loadForBpftool } = await import("../commands/prog/object.js");
  const collection = await loadForBpftool(ctx, { path, program, transient: true });
  const fds: Fd[] = [];
  const backend = await ctx.objectBackend();
  for (const handle of collection.programs.values()) {
    // A descriptor of our own, so commands close what they resolved without touching the collection's.
    fds.push(backend.fdById("prog", backend.progInfo(handle.fd).id));
  }
  return { fds, collection };
}
