// Objects pinned on bpffs, as bpftool opens them (open_obj_pinned, open_obj_pinned_any, get_fd_type, is_bpffs),
// with its messages: prog, map, link and iter commands all take `pinned FILE`.
import { statfsSync } from "node:fs";
import type { KernelBackend } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import { CliError, describeErrno, errnoOf } from "./errors.js";

const BPF_FS_MAGIC = 0xcafe4a11;
const EACCES = 13;

/** Whether `path` is on a BPF file system (bpftool's is_bpffs: statfs magic). */
export function isBpffs(path: string): boolean {
  try {
    return statfsSync(path).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

export type ObjectType = "prog" | "map" | "link" | "unknown";

/** The kind of BPF object a descriptor refers to (bpftool's get_fd_type reads the same /proc/self/fd link). */
export function fdObjectType(backend: KernelBackend, fd: Fd): ObjectType {
  const kind = backend.objectKind(fd);
  return kind === "map" || kind === "prog" || kind === "link" ? kind : "unknown";
}

/**
 * glibc's dirname(3), which cuts its argument in place: the directory, and what the argument reads afterwards
 * ("." for a path without a slash leaves the argument as it was). bpftool prints the argument after the cut.
 */
export function glibcDirname(path: string): { dir: string; argument: string } {
  let last = path.lastIndexOf("/");
  if (last < 0) return { dir: ".", argument: path };
  if (last !== 0 && last === path.length - 1) {
    let run = last;
    while (run !== 0 && path[run - 1] === "/") run--;
    if (run !== 0) last = path.lastIndexOf("/", run - 1);
  }
  let run = last;
  while (run !== 0 && path[run - 1] === "/") run--;
  const end = run !== 0 ? run : last === 1 ? 2 : 1;
  const dir = path.slice(0, end);
  return { dir, argument: dir };
}

/** glibc's dirname(3) of `path`. */
export function dirname(path: string): string {
  return glibcDirname(path).dir;
}

/**
 * bpftool's open_obj_pinned: the object pinned at `path`. On EACCES bpftool names the path as dirname(3) left it,
 * and says when the directory is not on bpffs.
 */
export function openPinned(backend: KernelBackend, path: string): Fd {
  try {
    return backend.getPinned(path);
  } catch (error) {
    if (errnoOf(error) === EACCES) {
      const { dir, argument } = glibcDirname(path);
      if (!isBpffs(dir))
        throw new CliError(`bpf obj get (${argument}): directory not in bpf file system (bpffs)`, { cause: error });
      throw new CliError(`bpf obj get (${argument}): ${describeErrno(error)}`, { cause: error });
    }
    throw new CliError(`bpf obj get (${path}): ${describeErrno(error)}`, { cause: error });
  }
}

/** bpftool's open_obj_pinned_any: the pinned object, which must be of `kind`. */
export function openPinnedOfType(backend: KernelBackend, path: string, kind: Exclude<ObjectType, "unknown">): Fd {
  const fd = openPinned(backend, path);
  const type = fdObjectType(backend, fd);
  if (type !== kind) {
    fd.close();
    throw new CliError(`incorrect object type: ${type}`);
  }
  return fd;
}
