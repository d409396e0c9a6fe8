// `bpftool btf dump { id ID | prog PROG | map MAP [key|value|kv|all] | file FILE } [format raw|c]`, as bpftool
// 7.1's do_dump: the source is resolved first (a file is parsed at once), then the options, then BTF held by the
// kernel is read, then the dump. Errors and exit statuses are bpftool's.
import type { Btf } from "@bpfkit/btf/btf";
import type { KernelBackend } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import { type Args, isPrefix } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf, strerror } from "../../cli/errors.js";
import { strtoulU32 } from "../../cli/strtoul.js";
import { reportError } from "../../main.js";
import { baseBtf, printLibbpfWarnings, SYSFS_VMLINUX, sysfsVmlinux } from "./base.js";
import { LibbpfError, parseBtf, readBtfFile } from "./btf-file.js";

const EINVAL = 22;
const ENOTSUP = 95;
const SYSFS_PREFIX = "/sys/kernel/btf/";

/** What BTF_SRC named: parsed BTF (file, ours `object`), or a kernel BTF id still to read (id, prog, map). */
interface Source {
  btf?: Btf;
  btfId?: number;
  /** Types to dump instead of all (a map's key and/or value type). */
  readonly roots: number[];
}

export async function dump(ctx: Context, args: Args): Promise<number> {
  args.require(2);
  const src = args.next();
  const source = await resolveSource(ctx, args, src);
  const c = parseFormat(args);
  if (source.btf === undefined) source.btf = await kernelBtf(ctx, source.btfId ?? 0);
  if (c) {
    if (ctx.json) throw new CliError("JSON output for C-syntax dump is not supported", { ret: -ENOTSUP });
    (await import("./write-c.js")).writeCDump(ctx, source.btf, source.roots);
  } else {
    (await import("./write-raw.js")).writeRawDump(ctx, source.btf, source.roots);
  }
  return 0;
}

async function resolveSource(ctx: Context, args: Args, src: string): Promise<Source> {
  if (isPrefix(src, "map")) {
    args.require(2);
    if (args.is("object") && args.peek() !== "") {
      args.skip();
      const { mapObjectBtf } = await import("./object-source.js");
      const source = await mapObjectBtf(args);
      const { map } = source;
      return { btf: objectBtf(ctx, source), roots: mapRoots(args, map?.btfKeyTypeId ?? 0, map?.btfValueTypeId ?? 0) };
    }
    // Loaded on demand: the PROG/MAP machinery (loader, kernel) is not needed to dump a file.
    const { resolveMapWithInfo } = await import("../../cli/map-spec.js");
    const { fd, info } = await resolveMapWithInfo(ctx, args);
    fd.close();
    return { btfId: info.btfId, roots: mapRoots(args, info.btfKeyTypeId, info.btfValueTypeId) };
  }
  if (isPrefix(src, "prog")) {
    args.require(2);
    if (args.is("object") && args.peek() !== "") {
      args.skip();
      const { programObjectBtf } = await import("./object-source.js");
      return { btf: objectBtf(ctx, await programObjectBtf(args)), roots: [] };
    }
    const { resolveProg } = await import("../../cli/prog-spec.js");
    const fd = await resolveProg(ctx, args);
    const backend = await ctx.backend();
    try {
      return { btfId: backend.progInfo(fd).btfId, roots: [] };
    } catch (error) {
      throw new CliError(`can't get prog info: ${describeErrno(error)}`, { ret: -(errnoOf(error) ?? 1), cause: error });
    } finally {
      fd.close();
    }
  }
  if (isPrefix(src, "id")) {
    const word = args.next();
    const { value, complete } = strtoulU32(word);
    if (!complete) throw new CliError(`can't parse ${word} as ID`);
    return { btfId: value, roots: [] };
  }
  if (isPrefix(src, "file")) {
    const path = args.next();
    return { btf: fileBtf(ctx, path), roots: [] };
  }
  throw new CliError(`unrecognized BTF source specifier: '${src}'`);
}

/** The optional `key | value | kv | all` after MAP (prefixes, in bpftool's order); both types by default. */
function mapRoots(args: Args, key: number, value: number): number[] {
  if (args.done) return [key, value];
  if (args.is("key")) {
    args.skip();
    return [key];
  }
  if (args.is("value")) {
    args.skip();
    return [value];
  }
  if (args.is("all")) {
    args.skip();
    return [];
  }
  if (args.is("kv")) args.skip();
  return [key, value];
}

/** `format raw|c`: true for C. */
function parseFormat(args: Args): boolean {
  let c = false;
  while (!args.done) {
    if (!args.is("format")) throw new CliError(`unrecognized option: '${args.peek()}'`, { ret: -EINVAL });
    args.skip();
    // bpftool's message keeps a newline of its own.
    if (args.done) throw new CliError("expecting value for 'format' option\n", { ret: -EINVAL });
    const format = args.next();
    if (format === "c") c = true;
    else if (format === "raw") c = false;
    else {
      throw new CliError(`unrecognized format specifier: '${format}', possible values: raw, c`, { ret: -EINVAL });
    }
  }
  return c;
}

/** A failure of libbpf's BTF loading as bpftool reports it: libbpf's warnings, then the error, status -errno. */
function libbpfFailure(ctx: Context, error: LibbpfError, message: string): CliError {
  printLibbpfWarnings(ctx, error);
  return new CliError(`${message}: ${strerror(error.errno)}`, { ret: -error.errno, cause: error });
}

/** Ours, `object FILE`: the object's BTF as the kernel would get it. */
function objectBtf(ctx: Context, source: { path: string; bytes: Uint8Array }): Btf {
  try {
    return parseBtf(source.bytes, baseBtf(ctx));
  } catch (error) {
    if (error instanceof LibbpfError) throw libbpfFailure(ctx, error, `failed to load BTF of ${source.path}`);
    throw error;
  }
}

/** `file FILE`: module BTF under /sys/kernel/btf gets vmlinux as its base unless -B names one. */
function fileBtf(ctx: Context, path: string): Btf {
  let base = baseBtf(ctx);
  if (base === undefined && path.startsWith(SYSFS_PREFIX) && path !== SYSFS_VMLINUX) {
    base = sysfsVmlinux(ctx, (message) => reportError(ctx, message));
  }
  try {
    return readBtfFile(path, base).btf;
  } catch (error) {
    if (error instanceof LibbpfError) throw libbpfFailure(ctx, error, `failed to load BTF from ${path}`);
    throw error;
  }
}

/** btf__load_from_kernel_by_id_split: BTF the kernel holds, on -B's base or, for a module's BTF, vmlinux's. */
async function kernelBtf(ctx: Context, id: number): Promise<Btf> {
  const backend = await ctx.backend();
  let base = baseBtf(ctx);
  if (base === undefined && isKernelModuleBtf(ctx, backend, id)) {
    ctx.info(
      `Warning: valid base BTF was not specified with -B option, falling back to standard base BTF (${SYSFS_VMLINUX})`,
    );
    base = sysfsVmlinux(ctx, (message) => reportError(ctx, message));
  }
  let data: Uint8Array;
  try {
    const fd = backend.fdById("btf", id);
    try {
      data = backend.btfData(fd);
    } finally {
      fd.close();
    }
  } catch (error) {
    throw new CliError(`get btf by id (${id}): ${describeErrno(error)}`, { ret: -(errnoOf(error) ?? 1), cause: error });
  }
  try {
    return parseBtf(data, base);
  } catch (error) {
    if (error instanceof LibbpfError) throw libbpfFailure(ctx, error, `get btf by id (${id})`);
    throw error;
  }
}

/** btf_is_kernel_module: failures are reported and count as "no" (bpftool goes on and fails on the load). */
function isKernelModuleBtf(ctx: Context, backend: KernelBackend, id: number): boolean {
  let fd: Fd;
  try {
    fd = backend.fdById("btf", id);
  } catch (error) {
    reportError(ctx, `can't get BTF object by id (${id}): ${describeErrno(error)}`);
    return false;
  }
  try {
    const info = backend.btfInfo(fd);
    return info.kernelBtf && info.name !== "vmlinux";
  } catch (error) {
    reportError(ctx, `can't get BTF (ID ${id}) object info: ${describeErrno(error)}`);
    return false;
  } finally {
    fd.close();
  }
}
