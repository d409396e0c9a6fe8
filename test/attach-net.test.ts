// Network attachments in the real kernel, with real traffic kept inside what the test creates: XDP (generic,
// native, offload refused), tcx and legacy tc (clsact over netlink, also as the tcx fallback) on the root end of a
// veth pair whose other end is in a network namespace of the test's (test/support/netns.ts); cgroup_skb and sockops
// on a cgroup the test creates, with a child process in it making the traffic; sk_msg and sk_skb programs on a
// sockhash of loopback TCP sockets. `bpftool net show` and `cgroup show` of ours are compared with bpftool 7.1.0's.
// Reliability: a child process holding a legacy tc filter and links is killed by SIGTERM and SIGINT, and what it
// attached is gone after; and `bpftool link show` lists the same links of these programs after the file as before.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, rmdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AttachError,
  BpfSyscallError,
  type Collection,
  KernelBackend,
  type LoadCollectionOptions,
  loadCollection,
} from "@bpfkit/kernel";
import type { LinkCreateAttrs } from "@bpfkit/loader";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fixturePath } from "./loader-support.js";
import { jsonOf, ours, oursProcess, theirs } from "./support/bpftool.js";
import { bundleForNode } from "./support/bundle.js";
import { cgroup2Mount, describeWith, usePinRoot, useTempDir } from "./support/env.js";
import { hostStatistic, sendUdpFromPeer, useVethPair, type VethPair } from "./support/netns.js";

const NET = fixturePath("net_attach");
const SOCKMAP = fixturePath("sockmap");
const C = { XDP: 0, XDP_ALT: 1, TC_INGRESS: 2, TC_EGRESS: 3, CGROUP: 4 };
const S = {
  ESTABLISHED: 0,
  MSG: 1,
  MSG_BYTES: 2,
  REDIRECTED: 3,
  PARSER: 4,
  STREAM_VERDICT: 5,
  SKB_BYTES: 6,
  SKB_VERDICT: 7,
};
/** Program names of both fixtures as the kernel keeps them (15 characters): whose links the file must not leave. */
const OUR_PROGRAMS = new Set(
  [
    "xdp_count",
    "xdp_count_alt",
    "tc_ingress",
    "tc_egress",
    "cg_egress",
    "on_sockops",
    "on_msg",
    "on_parser",
    "on_stream_verdict",
    "on_verdict",
  ].map((n) => n.slice(0, 15)),
);
/** bpf_link_type values newer than the asm tables: BPF_LINK_TYPE_TCX, BPF_LINK_TYPE_SOCKMAP. */
const LINK_TCX = 11;
const LINK_SOCKMAP = 14;
const LINK_XDP = 6;
const TCX_INGRESS = 46;
const TCX_EGRESS = 47;
const TCP_LOOPBACK = fileURLToPath(new URL("./support/tcp-loopback.mjs", import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until it gives `want` (packets cross the pair asynchronously) or 3 s pass; returns the last value. */
async function settle<T>(read: () => T, want: T): Promise<T> {
  const deadline = Date.now() + 3000;
  let value = read();
  while (value !== want && Date.now() < deadline) {
    await sleep(10);
    value = read();
  }
  return value;
}

/** Waits until the host end has received `n` more packets than `before` (then the programs have seen them). */
async function received(pair: VethPair, before: number, n: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (hostStatistic(pair, "rx_packets") < before + n && Date.now() < deadline) await sleep(10);
  expect(hostStatistic(pair, "rx_packets")).toBeGreaterThanOrEqual(before + n);
}

/** `count` datagrams from the root namespace across the pair (egress on the host end). */
async function sendUdpFromHost(pair: VethPair, port: number, count: number): Promise<void> {
  const socket = createSocket("udp4");
  try {
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) =>
        socket.send("bpfkit", port, pair.peerAddress, (error) => (error ? reject(error) : resolve())),
      );
    }
  } finally {
    socket.close();
  }
}

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `bpftool link show -j` (bpftool 7.1.0), only links whose program is one of the fixtures'. */
function ourLinks(): unknown[] {
  const names = new Map<number, string>();
  for (const p of jsonOf(theirs(["-j", "prog", "show"])) as { id: number; name?: string }[])
    names.set(p.id, p.name ?? "");
  const links = jsonOf(theirs(["-j", "link", "show"])) as { prog_id: number }[];
  return links.filter((l) => OUR_PROGRAMS.has(names.get(l.prog_id) ?? ""));
}

function tc(...args: string[]): string {
  return execFileSync("tc", args, { encoding: "utf8" });
}

/** `bpftool net show dev NAME -j`, ours and bpftool 7.1.0's, which must be the same; returns it. */
async function netShow(dev: string): Promise<{ xdp: unknown[]; tc: unknown[]; flow_dissector: unknown[] }[]> {
  const args = ["net", "show", "dev", dev, "-j"];
  const theirsRun = theirs(args);
  const oursRun = await ours(args);
  expect(oursRun.stderr).toBe(theirsRun.stderr);
  expect(jsonOf(oursRun)).toEqual(jsonOf(theirsRun));
  return jsonOf(theirsRun) as { xdp: unknown[]; tc: unknown[]; flow_dissector: unknown[] }[];
}

function loadNet(port: number, options: LoadCollectionOptions = {}): Collection {
  return loadCollection(NET, { variables: { port }, ...options });
}

const count = (c: Collection, slot: number) => () => c.map("counts").get(slot) as bigint;

/** A cgroup of the test's under the cgroup2 mount, removed after `run` (its processes have exited by then). */
async function withCgroup<T>(name: string, run: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = join(cgroup2Mount()!, `bpfkit-${name}-${process.pid}`);
  mkdirSync(dir);
  try {
    return await run(dir);
  } finally {
    rmdirSync(dir);
  }
}

/** Runs argv in a child process that first moves itself into cgroup `dir` (then execs): its sockets are the cgroup's. */
function inCgroup(dir: string, argv: readonly string[]): string {
  const run = spawnSync("sh", ["-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, dir, ...argv], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${argv.join(" ")}: status ${run.status}\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

/** `bpftool cgroup show DIR -j`, ours and bpftool 7.1.0's, the same; bpftool prints nothing without programs. */
async function cgroupShow(dir: string): Promise<{ name: string; attach_type: string }[]> {
  const args = ["-j", "cgroup", "show", dir];
  const theirsRun = theirs(args);
  const oursRun = await ours(args);
  expect(oursRun.stdout).toBe(theirsRun.stdout);
  return JSON.parse(theirsRun.stdout.trim() || "[]");
}

describeWith(["root", "bpftool", "bpffs", "cgroup2"], "network attachments in the kernel", () => {
  const pair = useVethPair();
  const pins = usePinRoot();
  const tmp = useTempDir("bpfkit-attach-net-");
  let port = 0;
  let linksBefore: unknown[] = [];
  beforeAll(async () => {
    linksBefore = ourLinks();
    port = await freePort();
  });

  describeWith([], "XDP", () => {
    it("a generic-mode link counts the datagrams; update swaps the program; detach stops it", async () => {
      using c = loadNet(port, { programs: ["xdp_count", "xdp_count_alt"] });
      const prog = c.program("xdp_count");
      using link = prog.attach({ xdp: { ifindex: pair().hostIfindex, mode: "generic" } });
      expect(link.description).toBe(`xdp on ifindex ${pair().hostIfindex} (generic)`);
      expect(link.info()).toMatchObject({ type: LINK_XDP, progId: prog.info().id });
      sendUdpFromPeer(pair(), port, 5);
      expect(await settle(count(c, C.XDP), 5n)).toBe(5n);
      expect((await netShow(pair().host))[0]!.xdp).toEqual([
        { devname: pair().host, ifindex: pair().hostIfindex, mode: "generic", id: prog.info().id },
      ]);

      link.update(c.program("xdp_count_alt"));
      sendUdpFromPeer(pair(), port, 3);
      expect(await settle(count(c, C.XDP_ALT), 3n)).toBe(3n);
      expect(count(c, C.XDP)()).toBe(5n);

      link.detach();
      const rx = hostStatistic(pair(), "rx_packets");
      sendUdpFromPeer(pair(), port, 4);
      await received(pair(), rx, 4);
      expect([count(c, C.XDP)(), count(c, C.XDP_ALT)()]).toEqual([5n, 3n]);
      expect((await netShow(pair().host))[0]!.xdp).toEqual([]);
    });

    it("without a mode, and in native mode, the driver's own hook (veth has one); offload is refused", async () => {
      using c = loadNet(port, { programs: ["xdp_count"] });
      const prog = c.program("xdp_count");
      let expected = 0n;
      for (const mode of [undefined, "native"] as const) {
        const link = prog.attach({ xdp: { ifindex: pair().hostIfindex, mode } });
        try {
          sendUdpFromPeer(pair(), port, 4);
          expected += 4n;
          expect(await settle(count(c, C.XDP), expected)).toBe(expected);
          expect((await netShow(pair().host))[0]!.xdp).toEqual([
            { devname: pair().host, ifindex: pair().hostIfindex, mode: "driver", id: prog.info().id },
          ]);
        } finally {
          link.close();
        }
        expect((await netShow(pair().host))[0]!.xdp).toEqual([]);
      }
      // offload needs a program loaded for the device's hardware
      let error: unknown;
      try {
        prog.attach({ xdp: { ifindex: pair().hostIfindex, mode: "offload" } }).close();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AttachError);
      expect(error).toMatchObject({ code: "SYSCALL", errno: 22 });
      expect((error as AttachError).message).toMatch(/^xdp on ifindex \d+ \(offload\): BPF_LINK_CREATE .*EINVAL/);
    });

    it("a pinned link stays attached after close() and goes with its pin", async () => {
      using c = loadNet(port, { programs: ["xdp_count"] });
      const pin = join(pins(), "xdp_link");
      const link = c.program("xdp_count").attach({ xdp: { ifindex: pair().hostIfindex, mode: "generic" } });
      link.pin(pin);
      link.close();
      // bpftool 7.1 prints no details of XDP links (7.2 added the ifindex); ours is the same
      const shown = jsonOf(theirs(["-j", "link", "show", "pinned", pin]));
      expect(jsonOf(await ours(["-j", "link", "show", "pinned", pin]))).toEqual(shown);
      expect(shown).toEqual({ id: expect.any(Number), type: "xdp", prog_id: c.program("xdp_count").info().id });
      sendUdpFromPeer(pair(), port, 2);
      expect(await settle(count(c, C.XDP), 2n)).toBe(2n);
      link.unpin();
      expect(link.pinned).toBeUndefined();
      // the pin was the last reference: the kernel released the link, detaching the program
      expect((await netShow(pair().host))[0]!.xdp).toEqual([]);
      const rx = hostStatistic(pair(), "rx_packets");
      sendUdpFromPeer(pair(), port, 2);
      await received(pair(), rx, 2);
      expect(count(c, C.XDP)()).toBe(2n);
    });
  });

  describeWith([], "tc", () => {
    it("tcx links count ingress and egress datagrams; bpftool 7.1.0 lists no tcx attachment, nor do we", async () => {
      using c = loadNet(port, { programs: ["tc_ingress", "tc_egress"] });
      const ifindex = pair().hostIfindex;
      const ingress = c.program("tc_ingress").attach({ tcx: { ifindex, direction: "ingress" } });
      const egress = c.program("tc_egress").attach({ tc: { ifindex, direction: "egress" } });
      try {
        expect(ingress.info()).toMatchObject({ type: LINK_TCX, progId: c.program("tc_ingress").info().id });
        expect(egress.description).toBe(`tcx egress on ifindex ${ifindex}`);
        sendUdpFromPeer(pair(), port, 4);
        await sendUdpFromHost(pair(), port, 3);
        expect(await settle(count(c, C.TC_INGRESS), 4n)).toBe(4n);
        expect(await settle(count(c, C.TC_EGRESS), 3n)).toBe(3n);
        // bpftool 7.1 predates tcx (7.3 lists it): its net show has only the legacy hooks, and ours is the same
        expect((await netShow(pair().host))[0]).toEqual({ xdp: [], tc: [], flow_dissector: [] });
        expect(tc("filter", "show", "dev", pair().host, "ingress")).toBe("");
      } finally {
        ingress.close();
        egress.close();
      }
      const [rx, tx] = [hostStatistic(pair(), "rx_packets"), hostStatistic(pair(), "tx_packets")];
      sendUdpFromPeer(pair(), port, 2);
      await sendUdpFromHost(pair(), port, 2);
      await received(pair(), rx, 2);
      expect(await settle(() => hostStatistic(pair(), "tx_packets") >= tx + 2, true)).toBe(true);
      expect([count(c, C.TC_INGRESS)(), count(c, C.TC_EGRESS)()]).toEqual([4n, 3n]);
    });

    it("legacy tc (forced): a direct-action filter on a clsact qdisc it creates, both gone after close()", async () => {
      using c = loadNet(port, { programs: ["tc_ingress"] });
      const prog = c.program("tc_ingress");
      const { id } = prog.info();
      const link = prog.attach({ tc: { ifindex: pair().hostIfindex, direction: "ingress", legacy: true } });
      try {
        expect(link.fd).toBeUndefined();
        expect(link.description).toBe(`tc ingress on ifindex ${pair().hostIfindex} (legacy clsact filter)`);
        expect(tc("qdisc", "show", "dev", pair().host)).toMatch(/^qdisc clsact ffff: parent ffff:fff1/m);
        expect(tc("filter", "show", "dev", pair().host, "ingress")).toContain(
          `handle 0x1 tc_ingress:[${id}] direct-action not_in_hw id ${id} name tc_ingress`,
        );
        sendUdpFromPeer(pair(), port, 6);
        expect(await settle(count(c, C.TC_INGRESS), 6n)).toBe(6n);
        expect((await netShow(pair().host))[0]!.tc).toEqual([
          {
            devname: pair().host,
            ifindex: pair().hostIfindex,
            kind: "clsact/ingress",
            name: `tc_ingress:[${id}]`,
            id,
          },
        ]);
        // bpftool's text form too, and the installed command line's
        const args = ["net", "show", "dev", pair().host];
        expect((await ours(args)).stdout).toBe(theirs(args).stdout);
        expect(oursProcess(args).stdout).toBe(theirs(args).stdout);
      } finally {
        link.close();
      }
      expect(tc("filter", "show", "dev", pair().host, "ingress")).toBe("");
      expect(tc("qdisc", "show", "dev", pair().host)).not.toContain("clsact");
      expect((await netShow(pair().host))[0]!.tc).toEqual([]);
    });

    it("legacy tc leaves a clsact qdisc it did not create, and others' filters on it", async () => {
      tc("qdisc", "add", "dev", pair().host, "clsact");
      try {
        using c = loadNet(port, { programs: ["tc_egress"] });
        const first = c
          .program("tc_egress")
          .attach({ tc: { ifindex: pair().hostIfindex, direction: "egress", legacy: true } });
        const second = c
          .program("tc_egress")
          .attach({ tc: { ifindex: pair().hostIfindex, direction: "egress", legacy: true, priority: 7 } });
        const listed = () => tc("filter", "show", "dev", pair().host, "egress");
        expect(listed()).toMatch(/pref 7 bpf .*handle 0x1 tc_egress/s);
        await sendUdpFromHost(pair(), port, 2);
        // two filters, each a direct-action program returning TC_ACT_OK: the first decides, the next is not run
        expect(await settle(count(c, C.TC_EGRESS), 2n)).toBe(2n);
        second.close();
        expect(listed()).not.toMatch(/pref 7 /);
        expect(listed()).toContain("tc_egress");
        first.close();
        expect(listed()).toBe("");
        expect(tc("qdisc", "show", "dev", pair().host)).toContain("qdisc clsact ffff:");
      } finally {
        tc("qdisc", "del", "dev", pair().host, "clsact");
      }
    });

    it("the tcx option falls back to legacy tc where the kernel refuses tcx links", async () => {
      /** A kernel without tcx answers BPF_LINK_CREATE for its attach types with EINVAL. */
      class NoTcxBackend extends KernelBackend {
        override createLink(attrs: LinkCreateAttrs) {
          if (attrs.attachType === TCX_INGRESS || attrs.attachType === TCX_EGRESS)
            throw new BpfSyscallError("BPF_LINK_CREATE", 22, "EINVAL");
          return super.createLink(attrs);
        }
      }
      const backend = new NoTcxBackend();
      try {
        using c = loadNet(port, { programs: ["tc_ingress"], backend });
        const link = c.program("tc_ingress").attach({ tcx: { ifindex: pair().hostIfindex, direction: "ingress" } });
        try {
          expect(link.description).toBe(
            `tc ingress on ifindex ${pair().hostIfindex} (legacy clsact filter: the kernel has no tcx)`,
          );
          expect(tc("filter", "show", "dev", pair().host, "ingress")).toContain("direct-action");
          sendUdpFromPeer(pair(), port, 3);
          expect(await settle(count(c, C.TC_INGRESS), 3n)).toBe(3n);
        } finally {
          link.close();
        }
        expect(tc("filter", "show", "dev", pair().host, "ingress")).toBe("");
      } finally {
        backend.close();
      }
    });
  });

  describeWith([], "cgroups", () => {
    it("cgroup_skb/egress on a cgroup of the test's counts what its process sends, until close()", async () => {
      await withCgroup("skb", async (dir) => {
        using c = loadNet(port, { programs: ["cg_egress"] });
        const link = c.program("cg_egress").attach({ cgroup: dir });
        const send = (n: number) =>
          inCgroup(dir, ["bash", "-c", `for ((i = 0; i < ${n}; i++)); do echo x > /dev/udp/127.0.0.1/${port}; done`]);
        try {
          send(3);
          expect(await settle(count(c, C.CGROUP), 3n)).toBe(3n);
          expect(await cgroupShow(dir)).toEqual([
            expect.objectContaining({ name: "cg_egress", attach_type: "cgroup_inet_egress" }),
          ]);
          // the tree from the test's cgroup down (the whole hierarchy changes under tests running in parallel)
          const tree = theirs(["-j", "cgroup", "tree", dir]);
          expect((await ours(["-j", "cgroup", "tree", dir])).stdout).toBe(tree.stdout);
          expect(jsonOf(tree)).toEqual([
            { cgroup: dir, programs: [expect.objectContaining({ name: "cg_egress", attach_flags: "multi" })] },
          ]);
        } finally {
          link.close();
        }
        expect(await cgroupShow(dir)).toEqual([]);
        send(2);
        expect(count(c, C.CGROUP)()).toBe(3n);
      });
    });
  });

  describeWith([], "socket maps", () => {
    /** Loopback TCP traffic from a child in the cgroup: `n` messages of `size` bytes, one at a time. */
    const traffic = (dir: string, sockPort: number, n: number, size: number) =>
      JSON.parse(inCgroup(dir, [process.execPath, TCP_LOOPBACK, String(sockPort), String(n), String(size)])) as {
        sent: number;
        received: number;
        intact: boolean;
      };
    const loadSockmap = (sockPort: number, redirect: boolean, programs: string[]) =>
      loadCollection(SOCKMAP, { variables: { port: sockPort, redirect }, programs: ["on_sockops", ...programs] });

    for (const legacy of [false, true]) {
      it(`sockops fills a sockhash; sk_msg (${legacy ? "BPF_PROG_ATTACH" : "sockmap link"}) counts and redirects`, async () => {
        const sockPort = await freePort();
        await withCgroup("sockmsg", async (dir) => {
          using c = loadSockmap(sockPort, true, ["on_msg"]);
          const sockops = c.program("on_sockops").attach({ cgroup: dir });
          const msg = c.program("on_msg").attach({ sockmap: c.map("socks"), legacy });
          const at = (slot: number) => c.map("counts").get(slot) as bigint;
          try {
            if (legacy) expect(msg.fd).toBeUndefined();
            else expect(msg.info()).toMatchObject({ type: LINK_SOCKMAP, progId: c.program("on_msg").info().id });
            expect(await cgroupShow(dir)).toEqual([
              expect.objectContaining({ name: "on_sockops", attach_type: "cgroup_sock_ops" }),
            ]);
            expect(traffic(dir, sockPort, 5, 100)).toEqual({ sent: 500, received: 500, intact: true });
            // both ends of the connection went into the map; each of the client's writes ran on_msg and went
            // straight to the server socket's receive queue
            expect([S.ESTABLISHED, S.MSG, S.MSG_BYTES, S.REDIRECTED].map(at)).toEqual([2n, 5n, 500n, 5n]);
          } finally {
            msg.close();
          }
          expect(traffic(dir, sockPort, 2, 10)).toEqual({ sent: 20, received: 20, intact: true });
          expect([S.ESTABLISHED, S.MSG].map(at)).toEqual([4n, 5n]);
          sockops.close();
          expect(await cgroupShow(dir)).toEqual([]);
          expect(traffic(dir, sockPort, 1, 10).intact).toBe(true);
          expect(at(S.ESTABLISHED)).toBe(4n);
        });
      });
    }

    it("sk_skb stream parser and verdict (links), and sk_skb verdict (BPF_PROG_ATTACH), see what is received", async () => {
      const sockPort = await freePort();
      await withCgroup("skb", async (dir) => {
        {
          using c = loadSockmap(sockPort, false, ["on_parser", "on_stream_verdict"]);
          const at = (slot: number) => c.map("counts").get(slot) as bigint;
          using _sockops = c.program("on_sockops").attach({ cgroup: dir });
          using parser = c.program("on_parser").attach({ sockmap: c.map("socks") });
          using _verdict = c
            .program("on_stream_verdict")
            .attach({ sockmap: c.map("socks").fd, attachType: "sk_skb_stream_verdict" });
          expect(parser.info().type).toBe(LINK_SOCKMAP);
          expect(traffic(dir, sockPort, 4, 64)).toEqual({ sent: 256, received: 256, intact: true });
          expect(at(S.ESTABLISHED)).toBe(2n);
          expect(at(S.SKB_BYTES)).toBe(256n);
          expect(at(S.PARSER)).toBeGreaterThanOrEqual(1n);
          expect(at(S.STREAM_VERDICT)).toBeGreaterThanOrEqual(1n);
        }
        {
          using c = loadSockmap(sockPort, false, ["on_verdict"]);
          const at = (slot: number) => c.map("counts").get(slot) as bigint;
          using _sockops = c.program("on_sockops").attach({ cgroup: dir });
          using verdict = c.program("on_verdict").attach({ sockmap: c.map("socks"), legacy: true });
          expect(verdict.description).toMatch(/^sk_skb_verdict on socket map id \d+ \(BPF_PROG_ATTACH\)$/);
          expect(traffic(dir, sockPort, 3, 50)).toEqual({ sent: 150, received: 150, intact: true });
          expect(at(S.SKB_BYTES)).toBe(150n);
          expect(at(S.SKB_VERDICT)).toBeGreaterThanOrEqual(1n);
        }
      });
    });

    it("a program that is not for socket maps is refused", () => {
      using c = loadSockmap(1, false, []);
      expect(() => c.program("on_sockops").attach({ sockmap: c.map("socks") })).toThrow(
        /prog 'on_sockops': give the socket map attach type/,
      );
    });
  });

  describeWith([], "reliability", () => {
    let child = "";
    beforeAll(async () => {
      child = await bundleForNode(
        fileURLToPath(new URL("./support/attach-child.ts", import.meta.url)),
        tmp(),
        "attach-child",
      );
    });

    /** Starts the child attaching to the host end; resolves with what it printed once it has attached. */
    async function attachInChild(): Promise<{
      pid: number;
      exited: Promise<NodeJS.Signals | null>;
      kill(s: NodeJS.Signals): void;
    }> {
      const proc = spawn(process.execPath, [child, NET, String(pair().hostIfindex)], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      proc.stderr.on("data", (d) => {
        stderr += d;
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        proc.on("exit", (_code, signal) => resolve(signal)),
      );
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        proc.stdout.on("data", (d) => {
          out += d;
          if (out.includes("\n")) resolve(out);
        });
        proc.on("exit", (code) => reject(new Error(`child exited with ${code}: ${stderr}`)));
      });
      const attached = JSON.parse(line) as { links: { description: string; id: number | null }[] };
      expect(attached.links.map((l) => l.description)).toEqual([
        `tc ingress on ifindex ${pair().hostIfindex} (legacy clsact filter)`,
        `tcx egress on ifindex ${pair().hostIfindex}`,
        `xdp on ifindex ${pair().hostIfindex} (generic)`,
      ]);
      return { pid: proc.pid!, exited, kill: (s) => proc.kill(s) };
    }

    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      it(`a child killed by ${signal} leaves no tc filter, qdisc or link behind`, async () => {
        const before = ourLinks();
        const proc = await attachInChild();
        expect(tc("filter", "show", "dev", pair().host, "ingress")).toContain("tc_ingress");
        expect(ourLinks().length).toBe(before.length + 2);
        proc.kill(signal);
        // the registry undid what it could, then let the signal end the process as it would have
        expect(await proc.exited).toBe(signal);
        expect(tc("filter", "show", "dev", pair().host, "ingress")).toBe("");
        expect(tc("qdisc", "show", "dev", pair().host)).not.toContain("clsact");
        expect(ourLinks()).toEqual(before);
      });
    }

    it("SIGKILL leaves the legacy filter (no handler can run): what the registry is for", async () => {
      const before = ourLinks();
      const proc = await attachInChild();
      proc.kill("SIGKILL");
      expect(await proc.exited).toBe("SIGKILL");
      try {
        expect(tc("filter", "show", "dev", pair().host, "ingress")).toContain("tc_ingress");
        // links are descriptors: the kernel releases them with the process
        expect(ourLinks()).toEqual(before);
      } finally {
        tc("qdisc", "del", "dev", pair().host, "clsact");
      }
    });
  });

  it("bpftool link show lists the same links of these programs as before the file ran", () => {
    expect(ourLinks()).toEqual(linksBefore);
  });

  afterAll(() => {
    // nothing attached is left on the pair when it goes (the pair's removal would hide a leak)
    expect(tc("filter", "show", "dev", pair().host, "ingress")).toBe("");
  });
});
