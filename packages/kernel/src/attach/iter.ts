// BPF iterators: a link to the iterator target (BPF_LINK_CREATE with BPF_TRACE_ITER, a map for map iterators), and
// its output, read as a stream: each BPF_ITER_CREATE gives a new descriptor that runs the program over the
// target's objects as it is read, as `cat` of a pinned iterator does.

import { readSync } from "node:fs";
import { AttachType } from "@bpfkit/asm";
import type { Fd } from "@bpfkit/loader";
import { StructBuffer } from "../attr/attr.js";
import type { KernelBackend } from "../kernel-backend.js";
import { closeFd } from "../libc.js";
import type { Link } from "../link-handle.js";
import { bpf, syscallError } from "../syscall.js";
import { BpfCmd } from "../uapi.generated.js";
import { createLinkOrThrow } from "./bpf-link.js";
import { AttachError } from "./errors.js";

/** sizeof(union bpf_iter_link_info): a map iterator's map fd first. */
const ITER_LINK_INFO_SIZE = 16;
const ITER_CREATE_SIZE = 8;
const CHUNK = 64 * 1024;

export function attachIterator(backend: KernelBackend, prog: Fd, map?: Fd): Link {
  let iterInfo: Uint8Array | undefined;
  if (map) {
    iterInfo = new Uint8Array(ITER_LINK_INFO_SIZE);
    new DataView(iterInfo.buffer).setUint32(0, map.value, true);
  }
  const what = map ? `iterator over map fd ${map.value}` : "iterator";
  return createLinkOrThrow(backend, { prog, target: 0, attachType: AttachType.TRACE_ITER, iterInfo }, what);
}

/** The iterator's output, chunk by chunk, from a fresh BPF_ITER_CREATE descriptor (closed at the end). */
export function* iteratorOutput(link: Link): Generator<Uint8Array> {
  if (!link.fd) throw new AttachError("BAD_TARGET", `${link.description}: not an iterator link`);
  const attr = new StructBuffer(ITER_CREATE_SIZE);
  attr.u32(0, link.fd.value);
  const fd = bpf(BpfCmd.ITER_CREATE, attr, ITER_CREATE_SIZE);
  if (fd < 0) throw syscallError(BpfCmd.ITER_CREATE, -fd, link.description);
  try {
    for (;;) {
      const chunk = new Uint8Array(CHUNK);
      const n = readSync(fd, chunk);
      if (n === 0) return;
      yield chunk.subarray(0, n);
    }
  } finally {
    closeFd(fd);
  }
}

/** All of the iterator's output as text. */
export function iteratorText(link: Link): string {
  const decoder = new TextDecoder();
  let text = "";
  for (const chunk of iteratorOutput(link)) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
