// `bpftool net show [dev NAME]`: XDP programs per device (RTM_GETLINK), tc BPF filters and their BPF actions on
// every qdisc, class, the root and clsact ingress/egress (RTM_GETQDISC/GETTCLASS/GETTFILTER), and the network
// namespace's flow dissector (BPF_PROG_QUERY), as bpftool 7.1 asks for them and prints them.
import { closeSync, openSync } from "node:fs";
import {
  attributeString,
  attributeU8,
  attributeU32,
  type KernelBackend,
  type NetlinkMessage,
  parseAttributes,
  RTM_GETLINK,
  RTM_GETQDISC,
  RTM_GETTCLASS,
  RTM_GETTFILTER,
  RtNetlink,
} from "@bpfkit/kernel";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf, strerror } from "../../cli/errors.js";
import { ifNameToIndex } from "../../cli/netdev.js";
import { usage } from "../report.js";

const AF_UNSPEC = 0;
const AF_PACKET = 17;
const EINVAL = 22;
const BPF_FLOW_DISSECTOR = 17;

const IFLA_IFNAME = 3;
const IFLA_XDP = 43;
const IFLA_MAX = 70;
const IFLA_XDP_ATTACHED = 2;
const IFLA_XDP_PROG_ID = 4;
const IFLA_XDP_DRV_PROG_ID = 5;
const IFLA_XDP_SKB_PROG_ID = 6;
const IFLA_XDP_HW_PROG_ID = 7;
const IFLA_XDP_MAX = 8;
const XDP_ATTACHED = { NONE: 0, DRV: 1, SKB: 2, HW: 3, MULTI: 4 } as const;

const TCA_KIND = 1;
const TCA_OPTIONS = 2;
const TCA_MAX = 16;
const TCA_BPF_ACT = 1;
const TCA_BPF_NAME = 7;
const TCA_BPF_ID = 11;
const TCA_BPF_MAX = 11;
const TCA_ACT_KIND = 1;
const TCA_ACT_OPTIONS = 2;
const TCA_ACT_MAX = 9;
const TCA_ACT_MAX_PRIO = 32;
const TCA_ACT_BPF_PARMS = 2;
const TCA_ACT_BPF_NAME = 6;
const TCA_ACT_BPF_ID = 9;
const TCA_ACT_BPF_MAX = 9;

const TC_H_ROOT = 0xffffffff;
const TC_H_CLSACT_INGRESS = 0xfffffff2;
const TC_H_CLSACT_EGRESS = 0xfffffff3;

/** libbpf's LIBBPF_ERRNO__NLPARSE: a netlink answer bpftool could not parse. */
class NetlinkParseError extends Error {}

const IFINFOMSG_SIZE = 16;
const TCMSG_SIZE = 20;

function ifinfomsg(family: number, ifindex = 0): Uint8Array {
  const body = new Uint8Array(IFINFOMSG_SIZE);
  const v = new DataView(body.buffer);
  v.setUint8(0, family);
  v.setInt32(4, ifindex, true);
  return body;
}

function tcmsg(ifindex: number, parent = 0): Uint8Array {
  const body = new Uint8Array(TCMSG_SIZE);
  const v = new DataView(body.buffer);
  v.setUint8(0, AF_UNSPEC);
  v.setInt32(4, ifindex, true);
  v.setUint32(12, parent, true);
  return body;
}

const u32At = (bytes: Uint8Array, offset: number) =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);

/** A message's attributes after its fixed header (ifinfomsg or tcmsg, 4-byte aligned). */
const attrsOf = (msg: NetlinkMessage, headerSize: number, maxType: number) =>
  parseAttributes(msg.payload.subarray((headerSize + 3) & ~3), maxType);

/** Writes as bpftool's NET_* macros do: JSON through the writer, text as is. */
class NetPrinter {
  text = "";
  constructor(readonly ctx: Context) {}
  get json() {
    return this.ctx.json;
  }
  plain(text: string): void {
    if (!this.json) this.text += text;
  }
  str(name: string, fmt: (s: string) => string, value: string): void {
    if (this.json) this.json.stringField(name, value);
    else this.text += fmt(value);
  }
  uint(name: string, fmt: (n: number) => string, value: number): void {
    if (this.json) this.json.numberField(name, value);
    else this.text += fmt(value);
  }
  flush(): void {
    this.ctx.out.print(this.text);
    this.text = "";
  }
}

function dumpXdp(p: NetPrinter, ifindex: number, attrs: Map<number, Uint8Array>): void {
  const xdpAttr = attrs.get(IFLA_XDP);
  if (!xdpAttr) return;
  const name = attributeString(attrs.get(IFLA_IFNAME) ?? new Uint8Array());
  const xdp = parseAttributes(xdpAttr, IFLA_XDP_MAX);
  const attached = xdp.get(IFLA_XDP_ATTACHED);
  if (!attached) return;
  const mode = attributeU8(attached);
  if (mode === XDP_ATTACHED.NONE) return;
  const progId = (attr: number, label: string, ownObject: boolean) => {
    const value = xdp.get(attr);
    if (!value) return;
    if (ownObject) p.json?.startObject();
    p.str("mode", (s) => ` ${s}`, label);
    p.uint("id", (n) => ` id ${n}`, attributeU32(value));
    if (ownObject) p.json?.endObject();
  };
  p.json?.startObject();
  p.str("devname", (s) => s, name);
  p.uint("ifindex", (n) => `(${n | 0})`, ifindex);
  if (mode === XDP_ATTACHED.MULTI) {
    p.json?.name("multi_attachments").startArray();
    progId(IFLA_XDP_SKB_PROG_ID, "generic", true);
    progId(IFLA_XDP_DRV_PROG_ID, "driver", true);
    progId(IFLA_XDP_HW_PROG_ID, "offload", true);
    p.json?.endArray();
  } else if (mode === XDP_ATTACHED.DRV) progId(IFLA_XDP_PROG_ID, "driver", false);
  else if (mode === XDP_ATTACHED.SKB) progId(IFLA_XDP_PROG_ID, "generic", false);
  else if (mode === XDP_ATTACHED.HW) progId(IFLA_XDP_PROG_ID, "offload", false);
  if (p.json) p.json.endObject();
  else p.text += "\n";
}

/** A BPF action (`tc ... action bpf ...`); its parameters are required. */
function dumpBpfAction(p: NetPrinter, options: Uint8Array | undefined): void {
  if (!options) throw new NetlinkParseError();
  const tb = parseAttributes(options, TCA_ACT_BPF_MAX);
  if (!tb.get(TCA_ACT_BPF_PARMS)) throw new NetlinkParseError();
  if (p.json) p.json.startObject();
  else p.text += "{";
  const name = tb.get(TCA_ACT_BPF_NAME);
  if (name) p.str("name", (s) => s, attributeString(name));
  const id = tb.get(TCA_ACT_BPF_ID);
  if (id) p.uint("id", (n) => ` id ${n}`, attributeU32(id));
  if (p.json) p.json.endObject();
  else p.text += "}";
}

function dumpActions(p: NetPrinter, actions: Uint8Array): void {
  const tb = parseAttributes(actions, TCA_ACT_MAX_PRIO);
  if (p.json) p.json.name("act").startArray();
  else p.text += " act [";
  try {
    for (let prio = 0; prio <= TCA_ACT_MAX_PRIO; prio++) {
      const action = tb.get(prio);
      if (!action) continue;
      const act = parseAttributes(action, TCA_ACT_MAX);
      const kind = act.get(TCA_ACT_KIND);
      if (kind && attributeString(kind) === "bpf") dumpBpfAction(p, act.get(TCA_ACT_OPTIONS));
    }
  } finally {
    if (p.json) p.json.endArray();
    else p.text += "] ";
  }
}

function dumpFilter(p: NetPrinter, msg: NetlinkMessage, kind: string, devname: string, ifindex: number): void {
  const tb = attrsOf(msg, TCMSG_SIZE, TCA_MAX);
  const options = tb.get(TCA_OPTIONS);
  const filterKind = tb.get(TCA_KIND);
  if (!options || !filterKind || attributeString(filterKind) !== "bpf") return;
  p.json?.startObject();
  try {
    if (devname !== "") p.str("devname", (s) => s, devname);
    p.uint("ifindex", (n) => `(${n})`, ifindex);
    p.str("kind", (s) => ` ${s}`, kind);
    const bpf = parseAttributes(options, TCA_BPF_MAX);
    const name = bpf.get(TCA_BPF_NAME);
    if (name) p.str("name", (s) => ` ${s}`, attributeString(name));
    const id = bpf.get(TCA_BPF_ID);
    if (id) p.uint("id", (n) => ` id ${n}`, attributeU32(id));
    const actions = bpf.get(TCA_BPF_ACT);
    if (actions) dumpActions(p, actions);
  } finally {
    if (p.json) p.json.endObject();
    else p.text += "\n";
  }
}

interface Device {
  readonly ifindex: number;
  readonly name: string;
}

/** bpftool's show_dev_tc_bpf: filters under each class and qdisc handle bpftool collects, root, clsact. */
function dumpDeviceTc(p: NetPrinter, nl: RtNetlink, dev: Device): void {
  const handles: { handle: number; kind: string }[] = [];
  const collect = (msg: NetlinkMessage, qdisc: boolean) => {
    const tb = attrsOf(msg, TCMSG_SIZE, TCA_MAX);
    const kindAttr = tb.get(TCA_KIND);
    const handle = u32At(msg.payload, 8);
    if (qdisc && ((kindAttr && attributeString(kindAttr) === "clsact") || handle === 0)) return;
    handles.push({ handle, kind: kindAttr ? attributeString(kindAttr) : "unknown" });
  };
  for (const msg of nl.dump(RTM_GETTCLASS, tcmsg(dev.ifindex))) collect(msg, false);
  // the kernel answers a qdisc dump with the qdiscs of every device: bpftool asks under each handle anyway
  for (const msg of nl.dump(RTM_GETQDISC, tcmsg(dev.ifindex))) collect(msg, true);
  const filters = (parent: number, kind: string) => {
    for (const msg of nl.dump(RTM_GETTFILTER, tcmsg(dev.ifindex, parent)))
      dumpFilter(p, msg, kind, dev.name, dev.ifindex);
  };
  for (const { handle, kind } of handles) filters(handle, kind);
  filters(TC_H_ROOT, "root");
  filters(TC_H_CLSACT_INGRESS, "clsact/ingress");
  filters(TC_H_CLSACT_EGRESS, "clsact/egress");
}

/** The flow dissector program of this network namespace, 0 for none (or a kernel that cannot tell). */
function flowDissector(backend: KernelBackend): number {
  let ns: number;
  try {
    ns = openSync("/proc/self/ns/net", "r");
  } catch (error) {
    throw new CliError(`can't open /proc/self/ns/net: ${describeErrno(error)}`);
  }
  try {
    const result = backend.progQuery(ns, BPF_FLOW_DISSECTOR, 0, 1);
    return result.progIds.length === 1 ? (result.progIds[0] as number) : 0;
  } catch (error) {
    if (errnoOf(error) === EINVAL) return 0; // older kernels cannot query it
    throw new CliError(`can't query prog: ${describeErrno(error)}`, { cause: error });
  } finally {
    closeSync(ns);
  }
}

/** bpftool's net_parse_dev: `dev NAME` and its ifindex; failures return `ret` (the callers differ). */
export function parseDev(args: Args, ret: number): number {
  if (!args.is("dev")) throw new CliError(`expected 'dev', got: '${args.peek()}'?`, { ret });
  args.skip();
  const name = args.next();
  const ifindex = ifNameToIndex(name);
  if (ifindex === undefined) throw new CliError(`invalid devname ${name}`, { ret });
  return ifindex;
}

export async function show(ctx: Context, args: Args): Promise<number> {
  let filter = -1;
  if (args.left === 2) filter = parseDev(args, -1);
  else if (!args.done) return usage(ctx);

  const backend = await ctx.backend();
  const flowDissectorId = flowDissector(backend);
  let nl: RtNetlink;
  try {
    nl = new RtNetlink();
  } catch {
    ctx.out.error("failed to open netlink sock\n");
    return -1;
  }
  const p = new NetPrinter(ctx);
  let failure: unknown;
  try {
    p.json?.startArray().startObject();
    p.json ? p.json.name("xdp").startArray() : p.plain("xdp:\n");
    const devices: Device[] = [];
    try {
      for (const msg of nl.dump(RTM_GETLINK, ifinfomsg(AF_PACKET))) {
        const ifindex = new DataView(msg.payload.buffer, msg.payload.byteOffset).getInt32(4, true);
        if (filter > 0 && filter !== ifindex) continue;
        const attrs = attrsOf(msg, IFINFOMSG_SIZE, IFLA_MAX);
        const name = attrs.get(IFLA_IFNAME);
        devices.push({ ifindex, name: name ? attributeString(name) : "" });
        dumpXdp(p, ifindex, attrs);
      }
    } catch (error) {
      failure = error;
    }
    p.json ? p.json.endArray() : p.plain("\n");
    if (failure === undefined) {
      p.json ? p.json.name("tc").startArray() : p.plain("tc:\n");
      try {
        for (const dev of devices) dumpDeviceTc(p, nl, dev);
      } catch (error) {
        failure = error;
      }
      p.json ? p.json.endArray() : p.plain("\n");
    }
    p.json ? p.json.name("flow_dissector").startArray() : p.plain("flow_dissector:\n");
    if (flowDissectorId > 0) p.uint("id", (n) => `id ${n}`, flowDissectorId);
    p.json ? p.json.endArray() : p.plain("\n");
    p.json?.endObject().endArray();
    p.flush();
  } finally {
    nl.close();
  }
  if (failure === undefined) return 0;
  // bpftool then writes a `null` and libbpf's text for the error
  ctx.json?.null();
  const errno = failure instanceof NetlinkParseError ? undefined : errnoOf(failure);
  ctx.out.error(`Error: ${errno === undefined ? "Failed to parse netlink message" : strerror(errno)}\n`);
  return errno === undefined ? -4013 : -errno;
}
