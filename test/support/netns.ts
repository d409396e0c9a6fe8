// A veth pair for network attach tests: one end (`host`) stays in the root network namespace, where the test
// process attaches XDP and tc programs to it; the other (`peer`) lives in a network namespace the helper creates,
// from where traffic is sent with `ip netns exec` (a child process) so that it arrives on the host end. The two ends
// share a private /30 and nothing else: no route leads anywhere but across the pair. Names are unique per process
// and pair (tests run in parallel), and everything is removed in afterAll even when tests fail; pairs left behind
// by a process that died are removed the next time one is created.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll } from "vitest";

export interface VethPair {
  /** The network namespace holding `peer`. */
  readonly netns: string;
  /** The root namespace's end. */
  readonly host: string;
  readonly hostIfindex: number;
  readonly hostAddress: string;
  /** The end inside `netns`. */
  readonly peer: string;
  readonly peerAddress: string;
}

const PREFIX = "bpfkit-";
let pairs = 0;

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Namespaces (and with them their veth ends) that a dead test process left behind. */
function removeStale(): void {
  for (const line of ip("netns", "list").split("\n")) {
    const match = new RegExp(`^${PREFIX}(\\d+)-\\d+\\b`).exec(line);
    if (match && !alive(Number(match[1]))) {
      try {
        ip("netns", "del", match[0]);
      } catch {}
    }
  }
}

/** IPv4 addresses of the root namespace, to keep a new /30 clear of them. */
function addressesInUse(): Set<string> {
  const used = new Set<string>();
  for (const m of ip("-4", "-o", "addr", "show").matchAll(/inet (\d+\.\d+\.\d+)\.(\d+)\//g)) {
    used.add(`${m[1]}.${Number(m[2]) & ~3}`);
  }
  return used;
}

/** A /30 in 10.240.0.0/12 derived from the pid and pair number, moved on while one is in use. */
function subnetFor(index: number): [string, string] {
  const used = addressesInUse();
  for (let block = (process.pid * 8 + index) % (1 << 18); ; block = (block + 1) % (1 << 18)) {
    const base = (10 << 24) + (240 << 16) + block * 4;
    const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
    if (!used.has(dotted(base))) return [dotted(base + 1), dotted(base + 2)];
  }
}

function setSysctl(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch {}
}

/** Creates the namespace and the pair, both ends up and addressed. Undo with destroyVethPair. */
export function createVethPair(): VethPair {
  removeStale();
  const n = ++pairs;
  const netns = `${PREFIX}${process.pid}-${n}`;
  const host = `bk${process.pid}-${n}h`;
  const peer = `bk${process.pid}-${n}p`;
  if (host.length > 15) throw new Error(`interface name ${host} is longer than IFNAMSIZ allows`);
  const [hostAddress, peerAddress] = subnetFor(n);
  ip("netns", "add", netns);
  const pair: VethPair = { netns, host, peer, hostAddress, peerAddress, hostIfindex: 0 };
  try {
    ip("link", "add", host, "type", "veth", "peer", "name", peer, "netns", netns);
    // No IPv6 on the host end: no router solicitations or DAD probes crossing the pair.
    setSysctl(`/proc/sys/net/ipv6/conf/${host}/disable_ipv6`, "1");
    ip("addr", "add", `${hostAddress}/30`, "dev", host);
    ip("link", "set", host, "up");
    ip("-n", netns, "addr", "add", `${peerAddress}/30`, "dev", peer);
    ip("-n", netns, "link", "set", peer, "up");
    const hostIfindex = Number(readFileSync(`/sys/class/net/${host}/ifindex`, "utf8"));
    return { ...pair, hostIfindex };
  } catch (error) {
    destroyVethPair(pair);
    throw error;
  }
}

/** Removes the pair and the namespace; errors other than "already gone" are thrown after both were tried. */
export function destroyVethPair(pair: VethPair): void {
  const errors: unknown[] = [];
  for (const args of [
    ["link", "del", pair.host],
    ["netns", "del", pair.netns],
  ]) {
    try {
      ip(...args);
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? "");
      if (!/Cannot find device|No such file or directory/.test(stderr)) errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/**
 * A pair for the enclosing suite: created in beforeAll, destroyed in afterAll. Call in a describe body; read the
 * pair (the returned function) in hooks and tests.
 */
export function useVethPair(): () => VethPair {
  let pair: VethPair | undefined;
  beforeAll(() => {
    pair = createVethPair();
  });
  afterAll(() => {
    if (pair) destroyVethPair(pair);
    pair = undefined;
  });
  return () => {
    if (!pair) throw new Error("useVethPair: read the pair in a hook or test, not at collection time");
    return pair;
  };
}

/** Runs `command` (argv) inside the pair's namespace; returns its stdout. */
export function inNetns(pair: VethPair, command: readonly string[]): string {
  return ip("netns", "exec", pair.netns, ...command);
}

/**
 * Sends `count` UDP datagrams from the namespace's end to the host end's `port` (bash's /dev/udp, one socket and
 * datagram per redirection). Nothing listens there: the host answers ICMP port unreachable, which stays in the pair.
 */
export function sendUdpFromPeer(pair: VethPair, port: number, count: number): void {
  inNetns(pair, [
    "bash",
    "-c",
    `for ((i = 0; i < ${count}; i++)); do echo bpfkit > /dev/udp/${pair.hostAddress}/${port}; done`,
  ]);
}

/** A counter of the host end's interface statistics (rx_packets, tx_packets ...). */
export function hostStatistic(pair: VethPair, name: string): number {
  return Number(readFileSync(`/sys/class/net/${pair.host}/statistics/${name}`, "utf8"));
}
