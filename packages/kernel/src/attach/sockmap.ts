// sk_msg and sk_skb programs on a sockmap or sockhash: the map is the target, and every socket in it runs them. A
// BPF link (BPF_LINK_TYPE_SOCKMAP, Linux 6.10) where the kernel has one; before that, BPF_PROG_ATTACH with the map
// as target and a Link whose undo is BPF_PROG_DETACH. The undo reopens the map and program by id, so it works
// after the caller closed its descriptors (a pinned map keeps the attachment; a freed map took it along).

import { AttachType } from "@bpfkit/asm";
import type { Fd } from "@bpfkit/loader";
import { BpfSyscallError } from "../errors.js";
import type { KernelBackend } from "../kernel-backend.js";
import { Link } from "../link-handle.js";
import { createLinkOrThrow } from "./bpf-link.js";
import { AttachError } from "./errors.js";

/** Where on a socket map a program runs. */
export const SockmapAttachType = {
  sk_msg: AttachType.SK_MSG_VERDICT,
  sk_skb_stream_parser: AttachType.SK_SKB_STREAM_PARSER,
  sk_skb_stream_verdict: AttachType.SK_SKB_STREAM_VERDICT,
  sk_skb_verdict: AttachType.SK_SKB_VERDICT,
} as const;
export type SockmapAttachName = keyof typeof SockmapAttachType;

const EINVAL = 22;
const EOPNOTSUPP = 95;
const ENOTSUPP = 524;
/** What BPF_LINK_CREATE answers for SK_MSG / SK_SKB programs on a kernel without sockmap links. */
const NO_SOCKMAP_LINK = new Set([EINVAL, EOPNOTSUPP, ENOTSUPP]);

/** The attach name of a program's expected attach type, if it is a socket map one. */
export function sockmapAttachName(attachType: number): SockmapAttachName | undefined {
  return (Object.keys(SockmapAttachType) as SockmapAttachName[]).find((k) => SockmapAttachType[k] === attachType);
}

/**
 * Attaches `prog` to socket map `map` at `name`: a sockmap link, or with `legacy` (or on a kernel without
 * sockmap links) BPF_PROG_ATTACH.
 */
export function attachSockmap(
  backend: KernelBackend,
  prog: Fd,
  map: Fd,
  name: SockmapAttachName,
  legacy = false,
): Link {
  const attachType = SockmapAttachType[name];
  const mapId = backend.mapInfo(map).id;
  const description = `${name} on socket map id ${mapId}`;
  if (!legacy) {
    try {
      return createLinkOrThrow(backend, { prog, target: map, attachType }, description);
    } catch (error) {
      if (!(error instanceof AttachError) || error.errno === undefined || !NO_SOCKMAP_LINK.has(error.errno))
        throw error;
    }
  }
  const progId = backend.progInfo(prog).id;
  try {
    backend.progAttach({ prog, target: map, attachType });
  } catch (error) {
    const errno = (error as { errno?: number }).errno;
    throw new AttachError("SYSCALL", `${description}: ${(error as Error).message}`, { errno, cause: error });
  }
  return new Link(backend, {
    description: `${description} (BPF_PROG_ATTACH${legacy ? "" : ": the kernel has no sockmap links"})`,
    undo: () => {
      let mapFd: Fd | undefined;
      let progFd: Fd | undefined;
      try {
        mapFd = backend.fdById("map", mapId);
        progFd = backend.fdById("prog", progId);
        backend.progDetach(progFd, mapFd, attachType);
      } catch (error) {
        // The map is gone (and the attachment with it), or the program is no longer attached there.
        if (!(error instanceof BpfSyscallError && ["ENOENT", "EINVAL"].includes(error.code))) throw error;
      } finally {
        progFd?.close();
        mapFd?.close();
      }
    },
  });
}
