// bpftool's walk over every object of a kind: bpf_*_get_next_id, then bpf_*_get_fd_by_id on each id, as `show`
// listings, the pinned-name lookups and struct_ops commands all do it, with bpftool's messages.
import type { KernelBackend } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import { CliError, describeErrno, errnoOf } from "./errors.js";

const ENOENT = 2;
const EINVAL = 22;

export type IdKind = "prog" | "map" | "link" | "btf";

export interface IdWalk {
  /** The object in "can't get NOUN by id (ID)": `map`, `prog`, `BTF object` ... */
  readonly noun: string;
  /** What precedes a failed get_next_id's strerror ("can't get next map"); without it, strerror alone. */
  readonly next?: string;
  /** Whether a failed get_next_id with EINVAL adds bpftool's " -- kernel too old?". */
  readonly tooOldHint?: boolean;
  /** Where a failure goes instead of being thrown; the walk then ends (bpftool's p_err and break). */
  readonly onError?: (error: CliError) => void;
}

/**
 * Every object of `kind` in id order, opened; the caller closes each descriptor. An object freed between the two
 * calls (ENOENT) is skipped: it is gone, not an error. Failures are CliErrors with bpftool's messages.
 */
export function* openEachById(
  backend: KernelBackend,
  kind: IdKind,
  walk: IdWalk,
): Generator<{ id: number; fd: Fd }, void, undefined> {
  const fail = (error: CliError) => {
    if (walk.onError === undefined) throw error;
    walk.onError(error);
  };
  for (let id = 0; ; ) {
    let next: number | null;
    try {
      next = backend.nextId(kind, id);
    } catch (error) {
      const hint = walk.tooOldHint && errnoOf(error) === EINVAL ? " -- kernel too old?" : "";
      const text = walk.next === undefined ? describeErrno(error) : `${walk.next}: ${describeErrno(error)}`;
      return fail(new CliError(`${text}${hint}`, { cause: error }));
    }
    if (next === null) return;
    id = next;
    let fd: Fd;
    try {
      fd = backend.fdById(kind, id);
    } catch (error) {
      if (errnoOf(error) === ENOENT) continue;
      return fail(new CliError(`can't get ${walk.noun} by id (${id}): ${describeErrno(error)}`, { cause: error }));
    }
    yield { id, fd };
  }
}

/**
 * The open descriptors of every object of `kind` whose info `match` accepts, in id order (bpftool's
 * map_fd_by_name and prog_fd_by_nametag); on a failure none of them stays open.
 */
export function openMatching<Info>(
  backend: KernelBackend,
  kind: "prog" | "map",
  infoOf: (fd: Fd) => Info,
  match: (info: Info, fd: Fd) => boolean,
): Fd[] {
  const found: Fd[] = [];
  try {
    for (const { id, fd } of openEachById(backend, kind, { noun: kind })) {
      let info: Info;
      try {
        info = infoOf(fd);
      } catch (error) {
        fd.close();
        throw new CliError(`can't get ${kind} info (${id}): ${describeErrno(error)}`, { cause: error });
      }
      if (match(info, fd)) found.push(fd);
      else fd.close();
    }
  } catch (error) {
    for (const fd of found) fd.close();
    throw error;
  }
  return found;
}
