// The context a test run hands the program, built as BPF_PROG_TEST_RUN builds it: for XDP an xdp_md over the
// packet (256 bytes of headroom before it, as the kernel leaves), for socket filters and TC an __sk_buff (len,
// protocol, ifindex, data/data_end; socket filters see the packet after its Ethernet header). Pointer fields hold
// 32-bit VM addresses, so the program's 32-bit context loads give it usable packet pointers without rewriting.

import type { TestRunAttrs } from "@bpfkit/loader";
import { VmError } from "./errors.js";
import type { Region, VmMemory } from "./memory.js";

const ProgType = {
  SOCKET_FILTER: 1,
  SCHED_CLS: 3,
  SCHED_ACT: 4,
  XDP: 6,
  CGROUP_SKB: 8,
  RAW_TRACEPOINT: 17,
  TRACING: 26,
  SYSCALL: 31,
} as const;
const XDP_PACKET_HEADROOM = 256;
/** Room after the packet (the kernel's skb_shared_info tailroom). */
const TAILROOM = 320;
/** An XDP test run's frame: a page, of which the packet may grow to all but the headroom and the tailroom. */
const XDP_FRAME_SIZE = 4096;
const ETH_HLEN = 14;
const LOOPBACK_IFINDEX = 1;
const XDP_MD_SIZE = 24;
const SK_BUFF_SIZE = 192;

export interface RunContext {
  /** r1 at entry. */
  readonly address: number;
  /** The packet as the test run reports it afterwards. */
  dataOut(): Uint8Array;
}

interface Areas {
  packet?: Region;
  ctx?: Region;
}

/** Regions reused run after run (a repeat loop must not allocate per run). */
const areas = new WeakMap<VmMemory, Areas>();

function area(memory: VmMemory, which: keyof Areas, size: number, writable: boolean): Region {
  let a = areas.get(memory);
  if (!a) {
    a = {};
    areas.set(memory, a);
  }
  const current = a[which];
  if (current && current.end - current.start >= size) {
    memory.bytes.fill(0, current.offset, current.offset + (current.end - current.start));
    return current;
  }
  const region = memory.allocate(which === "packet" ? "packet" : "context", size, writable);
  a[which] = region;
  return region;
}

export function contextFor(type: number, memory: VmMemory, attrs: TestRunAttrs): RunContext {
  const data = attrs.dataIn ?? new Uint8Array(0);
  if (type === ProgType.RAW_TRACEPOINT || type === ProgType.TRACING || type === ProgType.SYSCALL) {
    // Programs without a packet: the context is ctx_in as given (raw tracepoint arguments, a syscall's struct).
    if (data.length > 0) throw new VmError("TEST_RUN", "this program type takes no data_in (EINVAL)");
    const ctxIn = attrs.ctxIn ?? new Uint8Array(0);
    const ctx = area(memory, "ctx", Math.max(ctxIn.length, 8), type === ProgType.SYSCALL);
    memory.bytes.set(ctxIn, ctx.offset);
    return { address: ctxIn.length > 0 ? ctx.start : 0, dataOut: () => new Uint8Array(0) };
  }
  if (data.length < ETH_HLEN) {
    throw new VmError("TEST_RUN", `data_in is ${data.length} bytes; a test run needs at least ${ETH_HLEN} (EINVAL)`);
  }
  const frame = XDP_PACKET_HEADROOM + data.length + TAILROOM;
  const packet = area(memory, "packet", type === ProgType.XDP ? Math.max(frame, XDP_FRAME_SIZE) : frame, true);
  const start = packet.start + XDP_PACKET_HEADROOM;
  memory.bytes.set(data, packet.offset + XDP_PACKET_HEADROOM);
  const bytesBetween = (from: number, to: number) =>
    memory.bytes.slice(from - packet.start + packet.offset, to - packet.start + packet.offset);
  if (type === ProgType.XDP) {
    const ctx = area(memory, "ctx", XDP_MD_SIZE, false);
    const view = memory.view;
    view.setUint32(ctx.offset, start, true); // data
    view.setUint32(ctx.offset + 4, start + data.length, true); // data_end
    view.setUint32(ctx.offset + 8, start, true); // data_meta
    view.setUint32(ctx.offset + 12, LOOPBACK_IFINDEX, true); // ingress_ifindex
    // The kernel reports the frame from its metadata on (data_meta equals data unless the program moved it).
    return {
      address: ctx.start,
      dataOut: () =>
        bytesBetween(memory.view.getUint32(ctx.offset + 8, true), memory.view.getUint32(ctx.offset + 4, true)),
    };
  }
  const l2 = type === ProgType.SCHED_CLS || type === ProgType.SCHED_ACT;
  const skbData = l2 || type !== ProgType.SOCKET_FILTER ? start : start + Math.min(ETH_HLEN, data.length);
  const ctx = area(memory, "ctx", SK_BUFF_SIZE, true);
  const view = memory.view;
  const len = start + data.length - skbData;
  view.setUint32(ctx.offset, len, true); // len
  view.setUint32(ctx.offset + 16, data.length >= ETH_HLEN ? data[12]! | (data[13]! << 8) : 0, true); // protocol (be16)
  view.setUint32(ctx.offset + 36, LOOPBACK_IFINDEX, true); // ingress_ifindex
  view.setUint32(ctx.offset + 40, LOOPBACK_IFINDEX, true); // ifindex
  view.setUint32(ctx.offset + 76, skbData, true); // data
  view.setUint32(ctx.offset + 80, start + data.length, true); // data_end
  view.setUint32(ctx.offset + 160, data.length, true); // wire_len
  // Programs that see the packet from its network header get the Ethernet header back zeroed (the kernel
  // memsets what it pushes back before copying the packet out).
  const dataOut = () => {
    const out = bytesBetween(start, start + data.length);
    if (skbData !== start) out.fill(0, 0, skbData - start);
    return out;
  };
  return { address: ctx.start, dataOut };
}
