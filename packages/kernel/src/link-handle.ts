// One attachment of a program: a BPF link (with the perf event behind it for tracepoints, kprobes and uprobes), or
// a legacy attachment that has no link (netlink XDP, tc filters, BPF_PROG_ATTACH). `close()` ends it unless it is
// pinned: closing a link's descriptor detaches it in the kernel, and a legacy attachment is undone explicitly.
// Open links are registered so that process exit, SIGINT and SIGTERM release them too (link-registry.ts).

import type { Backend, Fd, LinkInfo } from "@bpfkit/loader";
import { closeFd } from "./libc.js";
import { registerLink, unregisterLink } from "./link-registry.js";

export interface LinkInit {
  /** What was attached to what, for messages (`tracepoint syscalls/sys_enter_getppid`). */
  readonly description: string;
  /** The BPF link, when the attachment is one. */
  readonly fd?: Fd;
  /** A perf event descriptor the link holds on to (closed with it). */
  readonly perfFd?: number;
  /** Undoes a legacy attachment (no link); for a link with children, what to release after them. */
  readonly undo?: () => void;
  /**
   * Links this one stands for and owns (a USDT attachment: one uprobe link per probe site); they are detached and
   * closed with it, and counted as open links through it only.
   */
  readonly children?: readonly Link[];
}

export class Link implements Disposable {
  readonly description: string;
  readonly fd: Fd | undefined;
  readonly children: readonly Link[];
  readonly #backend: Backend & LinkSyscalls;
  #perfFd: number | undefined;
  #undo: (() => void) | undefined;
  #pinned: string | undefined;
  #closed = false;

  constructor(backend: Backend, init: LinkInit) {
    this.#backend = backend as Backend & LinkSyscalls;
    this.description = init.description;
    this.fd = init.fd;
    this.#perfFd = init.perfFd;
    this.#undo = init.undo;
    this.children = init.children ?? [];
    for (const child of this.children) unregisterLink(child);
    registerLink(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Where the link is pinned, if it is. */
  get pinned(): string | undefined {
    return this.#pinned;
  }

  /** Pins the link on bpffs: it then outlives this process (until unpinned). */
  pin(path: string): void {
    this.#backend.pin(this.#link("pin"), path);
    this.#pinned = path;
  }

  unpin(): void {
    if (this.#pinned === undefined) return;
    this.#backend.unpin(this.#pinned);
    this.#pinned = undefined;
  }

  /** BPF_LINK_UPDATE: the link runs `prog` from now on (same type and attach type). */
  update(prog: Fd | { readonly fd: Fd }): void {
    const update = this.#backend.linkUpdate;
    if (!update) throw new Error(`${this.description}: the ${this.#backend.name} backend cannot update links`);
    update.call(this.#backend, this.#link("update"), "fd" in prog ? prog.fd : prog);
  }

  /** BPF_LINK_DETACH: the program leaves its target; the link object stays (pinned or not) until closed. */
  detach(): void {
    if (this.children.length > 0) {
      for (const child of this.children) child.detach();
      const undo = this.#undo;
      this.#undo = undefined;
      undo?.();
      return;
    }
    if (this.#undo) {
      const undo = this.#undo;
      this.#undo = undefined;
      undo();
      return;
    }
    const detach = this.#backend.linkDetach;
    if (!detach) throw new Error(`${this.description}: the ${this.#backend.name} backend cannot detach links`);
    detach.call(this.#backend, this.#link("detach"));
  }

  info(): LinkInfo {
    return this.#backend.linkInfo(this.#link("info"));
  }

  /** Releases the attachment: a pinned link stays attached, anything else is detached. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    unregisterLink(this);
    try {
      for (const child of this.children) child.close();
      if (this.#pinned === undefined) this.#undo?.();
    } finally {
      this.#undo = undefined;
      this.fd?.close();
      if (this.#perfFd !== undefined) closeFd(this.#perfFd);
      this.#perfFd = undefined;
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #link(what: string): Fd {
    if (this.#closed) throw new Error(`${this.description}: cannot ${what} a closed link`);
    if (!this.fd) {
      const kind =
        this.children.length > 0 ? "an attachment of several links has no single" : "a legacy attachment has no";
      throw new Error(`${this.description}: ${kind} BPF link to ${what}`);
    }
    return this.fd;
  }
}

/** Link operations some backends have (the kernel's); the VM's links are detached by closing them. */
export interface LinkSyscalls {
  linkUpdate?(link: Fd, prog: Fd): void;
  linkDetach?(link: Fd): void;
}
