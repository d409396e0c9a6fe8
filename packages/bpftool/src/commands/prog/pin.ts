// `prog pin PROG FILE` (bpftool's do_pin_any / do_pin_fd), and mount_bpffs_for_pin, which every pinning command
// runs first: when FILE's directory is not on bpffs, bpftool mounts a bpffs there (private, mode 0700) unless -n.
import { mkdirSync, statfsSync } from "node:fs";
import { MountFlag, mount } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import type { Args, CommandResult } from "../../cli/args.js";
import { type Context, vmRefusal } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf, strerror } from "../../cli/errors.js";
import { dirname, isBpffs } from "../../cli/pinned-object.js";
import { resolveProg } from "../../cli/prog-spec.js";

const EEXIST = 17;
const EINVAL = 22;
const BPF_FS_MAGIC = 0xcafe4a11;

/** bpftool's mnt_fs: make the directory a private mount point (bind-mounting it on itself if needed), mount. */
function mountFs(target: string, type: string): string | undefined {
  let bindDone = false;
  for (;;) {
    const errno = mount("", target, "none", MountFlag.PRIVATE | MountFlag.REC, null);
    if (errno === 0) break;
    if (errno !== EINVAL || bindDone) return `mount --make-private ${target} failed: ${strerror(errno)}`;
    const bind = mount(target, target, "none", MountFlag.BIND, null);
    if (bind !== 0) return `mount --bind ${target} ${target} failed: ${strerror(bind)}`;
    bindDone = true;
  }
  const errno = mount(type, target, type, 0, "mode=0700");
  if (errno !== 0) return `mount -t ${type} ${type} ${target} failed: ${strerror(errno)}`;
  return undefined;
}

/** bpftool's mount_bpffs_for_pin: bpffs under `path`'s directory, mounting one there unless -n. */
export function mountBpffsForPin(ctx: Context, path: string): void {
  const dir = dirname(path);
  if (isBpffs(dir)) return;
  if (ctx.options.nomount) throw new CliError("no BPF file system found, not mounting it due to --nomount option");
  const failure = mountFs(dir, "bpf");
  if (failure !== undefined) throw new CliError(`can't mount BPF file system to pin the object (${path}): ${failure}`);
}

/**
 * libbpf's make_parent_dir and check_path, which bpf_link__pin, bpf_program__pin and bpf_map__pin run before
 * pinning: 0, or libbpf's warning on stderr and -errno.
 */
export function libbpfCheckPinPath(ctx: Context, path: string): number {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    const errno = errnoOf(error) ?? EINVAL;
    if (errno !== EEXIST) {
      // libbpf names the whole path here, the directory in the statfs warning below
      ctx.out.error(`libbpf: failed to mkdir ${path}: ${strerror(errno)}\n`);
      return -errno;
    }
  }
  try {
    if (statfsSync(dir).type !== BPF_FS_MAGIC) {
      ctx.out.error(`libbpf: specified path ${path} is not on BPF FS\n`);
      return -EINVAL;
    }
  } catch (error) {
    ctx.out.error(`libbpf: failed to statfs ${dir}: ${describeErrno(error)}\n`);
    return -(errnoOf(error) ?? EINVAL);
  }
  return 0;
}

/** bpftool's do_pin_fd. */
export async function pinFd(ctx: Context, fd: Fd, path: string): Promise<void> {
  mountBpffsForPin(ctx, path);
  try {
    (await ctx.backend()).pin(fd, path);
  } catch (error) {
    // libbpf's bpf_obj_pin returns -errno, which becomes the exit status (EEXIST: 239)
    const errno = errnoOf(error);
    throw new CliError(`can't pin the object (${path}): ${describeErrno(error)}`, {
      ret: errno === undefined ? -1 : -errno,
      cause: error,
    });
  }
}

/**
 * bpftool's do_pin_any, and the `null` its callers print with -j: `open` resolves the object from the words
 * before FILE (PROG, MAP or LINK), which is pinned at FILE; the descriptor is closed either way.
 */
export async function pinAny(
  ctx: Context,
  args: Args,
  open: (ctx: Context, args: Args) => Promise<Fd>,
): Promise<number> {
  args.reqArgs(3, -EINVAL);
  if (ctx.options.backend === "vm")
    throw vmRefusal("cannot pin: its programs and maps live only as long as the command, not on bpffs");
  const fd = await open(ctx, args);
  try {
    // `object FILE ...` takes more words than bpftool's PROG or MAP: FILE may still be missing (Args.next says so)
    await pinFd(ctx, fd, args.next());
  } finally {
    fd.close();
  }
  ctx.json?.null();
  return 0;
}

export async function doPin(ctx: Context, args: Args): Promise<CommandResult> {
  return pinAny(ctx, args, resolveProg);
}
