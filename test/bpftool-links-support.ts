// Kernel objects the link, cgroup and perf tests show with both bpftools: links of the types bpftool 7.1 prints
// details for, made with the kernel backend in the test process (so ours, run in-process, and theirs, a child
// process, see the same ids). Everything lives in a fresh cgroup, a fresh network namespace, or is a raw
// tracepoint program that does nothing; the suite's afterAll closes it all. This kernel refuses tracing programs
// (fentry, iterators: EPERM for root too), so tracing and iter links are covered by unit tests of the printing.
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, rmdirSync } from "node:fs";
import { AttachType, encodeInstructions, exit, mov64Imm, ProgType, R0 } from "@bpfkit/asm";
import { KernelBackend } from "@bpfkit/kernel";
import type { Fd } from "@bpfkit/loader";
import { cgroup2Mount } from "./support/env.js";

const RETURN_ZERO = encodeInstructions([mov64Imm(R0, 0), exit()], "little");
const RETURN_ONE = encodeInstructions([mov64Imm(R0, 1), exit()], "little");

/** A fresh, empty cgroup v2 directory (no process ever lives there). */
export class TestCgroup {
  readonly path: string;
  readonly fd: number;
  constructor(name: string) {
    this.path = `${cgroup2Mount()}/${name}`;
    mkdirSync(this.path);
    this.fd = openSync(this.path, "r");
  }
  close(): void {
    closeSync(this.fd);
    if (existsSync(this.path)) rmdirSync(this.path);
  }
}

/** A network namespace made with `ip netns add`, removed on close. */
export class TestNetns {
  readonly name: string;
  readonly fd: number;
  constructor(name: string) {
    this.name = name;
    execFileSync("ip", ["netns", "add", name]);
    this.fd = openSync(`/var/run/netns/${name}`, "r");
  }
  /** Runs a command inside the namespace. */
  exec(cmd: string, args: readonly string[]): string {
    return execFileSync("ip", ["netns", "exec", this.name, cmd, ...args], { encoding: "utf8" });
  }
  close(): void {
    closeSync(this.fd);
    execFileSync("ip", ["netns", "del", this.name]);
  }
}

export interface TestLinks {
  readonly backend: KernelBackend;
  readonly cgroup: TestCgroup;
  readonly netns: TestNetns;
  /** link id by what it is. */
  readonly ids: Record<"cgroup" | "rawTracepoint" | "netns", number>;
  readonly links: Record<string, Fd>;
  close(): void;
}

export function makeLinks(tag: string): TestLinks {
  const backend = new KernelBackend();
  const cleanups: (() => void)[] = [];
  try {
    const cgroup = new TestCgroup(`bpfkit-${tag}-${process.pid}`);
    cleanups.push(() => cgroup.close());
    const netns = new TestNetns(`bpfkit-${tag}-${process.pid}`);
    cleanups.push(() => netns.close());
    const load = (progType: number, extra: Record<string, unknown> = {}, insns = RETURN_ZERO) =>
      backend.loadProgram({ progType, insns, license: "GPL", ...extra }).fd;
    const links: Record<string, Fd> = {};

    const skb = load(
      ProgType.CGROUP_SKB,
      { name: "link_cg", expectedAttachType: AttachType.CGROUP_INET_EGRESS },
      RETURN_ONE,
    );
    links.cgroup = backend.createLink({ prog: skb, target: cgroup.fd, attachType: AttachType.CGROUP_INET_EGRESS });

    const rawTp = load(ProgType.RAW_TRACEPOINT, { name: "link_raw_tp" });
    links.rawTracepoint = backend.rawTracepointOpen(rawTp, "sched_process_free");

    const lookup = load(
      ProgType.SK_LOOKUP,
      { name: "link_sk_lookup", expectedAttachType: AttachType.SK_LOOKUP },
      RETURN_ONE,
    );
    links.netns = backend.createLink({ prog: lookup, target: netns.fd, attachType: AttachType.SK_LOOKUP });

    const ids = Object.fromEntries(
      Object.entries(links).map(([what, fd]) => [what, backend.linkInfo(fd).id]),
    ) as TestLinks["ids"];
    return {
      backend,
      cgroup,
      netns,
      ids,
      links,
      close() {
        backend.close();
        for (const fn of cleanups.reverse()) fn();
      },
    };
  } catch (error) {
    backend.close();
    for (const fn of cleanups.reverse()) fn();
    throw error;
  }
}
