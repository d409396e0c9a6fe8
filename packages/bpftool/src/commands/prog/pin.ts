// `prog pin PROG FILE` (bpftool's do_pin_any / do_pin_fd), and mount_bpffs_for_pin, which every pinning command
// runs first: when FILE's directory is not on bpffs, bpftool mounts a bpffs there (private, mode 0700) unless -n.
import { MountFlag, mount } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import type { Args, CommandResult } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf, strerror } from "../../cli/errors.js";
import { dirname, isBpffs } from "../../cli/pinned-object.js";
import { resolveProgTarget, singleProg } from "../../cli/prog-spec.js";

const EINVAL = 22;

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

export async function doPin(ctx: Context, args: Args): Promise<CommandResult> {
  if (args.left < 3)
    throw new CliError(`'${args.previous() ?? ""}' needs at least 3 arguments, ${args.left} found`, { ret: -EINVAL });
  const { fd } = singleProg(await resolveProgTarget(ctx, args));
  try {
    // `object FILE program NAME` takes two more words than bpftool's PROG: FILE may still be missing
    const path = args.peek();
    if (path === undefined) throw new CliError(`'${args.previous() ?? ""}' needs at least 1 arguments, 0 found`);
    await pinFd(ctx, fd, path);
  } finally {
    fd.close();
  }
  ctx.json?.null();
  return 0;
}
