// The context a test run hands the program, built as BPF_PROG_TEST_RUN builds it: for XDP an xdp_md over the
// packet (256 bytes of headroom before it, as the kernel leaves), for socket filters and TC an __sk_buff (len,
// protocol, ifindex, data/data_end; socket filters see the packet after its Ethernet header). Pointer fields hold
// 32-bit VM addresses, so the program's 32-bit context loads give it usable packet pointers without rewriting.

import { ProgType } from "@bpfkit/asm";
import type { TestRunAttrs } from "@bpfkit/loader";
import { VmError } from "./errors.js";
import { BASE, type Region, type VmMemory } from "./memory.js";

const XDP_PACKET_HEADROOM = 256;
/** Room after the packet (the kernel's skb_shared_info tailroom). */
export const TAILROOM = 320;
/** An XDP test run's frame: a page, of which the packet may grow to all but the headroom and the tailroom. */
const XDP_FRAME_SIZE = 4096;
export const ETH_HLEN = 14;
const LOOPBACK_IFINDEX = 1;
const XDP_MD_SIZE = 24;
const SK_BUFF_SIZE = 192;

export interface RunContext {
  /** r1 at entry. */
  readonly address: number;
  /** The packet as the test run reports it afterwards. */
  dataOut(): Uint8Array;
  /** What the legacy packet loads (ldabs/ldind) read: the skb's data, a live view (skb programs only). */
  readonly packet?: Uint8Array;
  /** The packet's buffer, for the helpers that move its bounds (XDP programs). */
  readonly frame?: PacketFrame;
  /** The context as BPF_PROG_TEST_RUN's ctx_out gives it back (skb programs: the fields a test run carries). */
  ctxOut?(): Uint8Array;
}

/**
 * The __sk_buff fields a test run's ctx_in may set and its ctx_out gives back (net/bpf/test_run.c's
 * convert___skb_to_skb): mark, priority, ingress_ifindex, ifindex, cb[], tstamp, wire_len, gso_segs, gso_size and
 * hwtstamp, as [offset, size]. Every other byte of ctx_in must be zero (EINVAL).
 */
const SKB_CTX_FIELDS: readonly (readonly [number, number])[] = [
  [8, 4], // mark
  [32, 4], // priority
  [36, 4], // ingress_ifindex
  [40, 4], // ifindex
  [48, 20], // cb[5]
  [152, 8], // tstamp
  [160, 4], // wire_len
  [164, 4], // gso_segs
  [176, 4], // gso_size
  [184, 8], // hwtstamp
];

/** ctx_in checked as the kernel checks it: a zero byte outside the fields a test run takes, or TEST_RUN EINVAL. */
function checkSkbCtxIn(ctxIn: Uint8Array, packetLength: number): void {
  const allowed = new Uint8Array(Math.max(ctxIn.length, SK_BUFF_SIZE));
  for (const [at, size] of SKB_CTX_FIELDS) allowed.fill(1, at, at + size);
  const stray = ctxIn.findIndex((byte, i) => byte !== 0 && !allowed[i]);
  if (stray >= 0) throw new VmError("TEST_RUN", `ctx_in byte ${stray} is not a field a test run takes (EINVAL)`);
  const view = new DataView(ctxIn.buffer, ctxIn.byteOffset, ctxIn.byteLength);
  const u32 = (at: number) => (at + 4 <= ctxIn.length ? view.getUint32(at, true) : 0);
  if (u32(40) > LOOPBACK_IFINDEX)
    throw new VmError("TEST_RUN", `ctx_in ifindex ${u32(40)}: no such device in the VM (ENODEV)`);
  const wireLen = u32(160);
  if (wireLen !== 0 && wireLen < packetLength) {
    throw new VmError("TEST_RUN", `ctx_in wire_len ${wireLen} is shorter than the packet (EINVAL)`);
  }
}

/**
 * The bytes reserved for a packet (headroom, data, tailroom) and the region programs may touch inside them: exactly
 * data_meta..data_end, so a read in the headroom or past the end faults as the verifier would refuse it.
 */
export interface PacketFrame {
  readonly region: Region;
  /** First and one-past-last address of the whole buffer. */
  readonly start: number;
  readonly end: number;
}

interface Areas {
  frame?: PacketFrame;
  ctx?: Region;
}

/** Regions reused run after run (a repeat loop must not allocate per run). */
const areas = new WeakMap<VmMemory, Areas>();

function areasOf(memory: VmMemory): Areas {
  let a = areas.get(memory);
  if (!a) {
    a = {};
    areas.set(memory, a);
  }
  return a;
}

function contextArea(memory: VmMemory, size: number, writable: boolean): Region {
  const a = areasOf(memory);
  const current = a.ctx;
  if (current && current.end - current.start >= size && current.writable === writable) {
    memory.bytes.fill(0, current.offset, current.offset + (current.end - current.start));
    return current;
  }
  a.ctx = memory.allocate("context", size, writable);
  return a.ctx;
}

/** A zeroed packet buffer of at least `size` bytes, its region not yet narrowed. */
function packetFrame(memory: VmMemory, size: number): PacketFrame {
  const a = areasOf(memory);
  const current = a.frame;
  if (current && current.end - current.start >= size) {
    memory.resize(current.region, current.start, current.end);
    memory.bytes.fill(0, current.region.offset, current.region.offset + (current.end - current.start));
    return current;
  }
  const region = memory.allocate("packet", size, true);
  a.frame = { region, start: region.start, end: region.end };
  return a.frame;
}

const ETH_P_802_3_MIN = 0x600;
const PACKET_HOST = 0;
const PACKET_MULTICAST = 2;
const PACKET_OTHERHOST = 3;

/**
 * What the kernel's eth_type_trans() makes of the frame on the loopback device a test run uses (address and
 * broadcast address all zeros): the protocol as `__sk_buff.protocol` holds it (big-endian value in a u32: the
 * EtherType, or for an 802.3 length field ETH_P_802_3 before 0xffff, else ETH_P_802_2) and the packet type.
 */
function ethTypeTrans(frame: Uint8Array): { protocol: number; pktType: number } {
  const dest = frame.subarray(0, 6);
  const pktType = dest[0]! & 1 ? PACKET_MULTICAST : dest.some((b) => b !== 0) ? PACKET_OTHERHOST : PACKET_HOST;
  const etherType = (frame[12]! << 8) | frame[13]!;
  const be16 = (v: number) => ((v & 0xff) << 8) | (v >>> 8);
  if (etherType >= ETH_P_802_3_MIN) return { protocol: be16(etherType), pktType };
  const raw802_3 = frame.length >= ETH_HLEN + 2 && frame[14] === 0xff && frame[15] === 0xff;
  return { protocol: be16(raw802_3 ? 0x0001 : 0x0004), pktType };
}

export function contextFor(type: number, memory: VmMemory, attrs: TestRunAttrs): RunContext {
  const data = attrs.dataIn ?? new Uint8Array(0);
  if (type === ProgType.RAW_TRACEPOINT || type === ProgType.TRACING || type === ProgType.SYSCALL) {
    // Programs without a packet: the context is ctx_in as given (raw tracepoint arguments, a syscall's struct).
    if (data.length > 0) throw new VmError("TEST_RUN", "this program type takes no data_in (EINVAL)");
    const ctxIn = attrs.ctxIn ?? new Uint8Array(0);
    const ctx = contextArea(memory, Math.max(ctxIn.length, 8), type === ProgType.SYSCALL);
    memory.bytes.set(ctxIn, ctx.offset);
    return { address: ctxIn.length > 0 ? ctx.start : 0, dataOut: () => new Uint8Array(0) };
  }
  if (data.length < ETH_HLEN) {
    throw new VmError("TEST_RUN", `data_in is ${data.length} bytes; a test run needs at least ${ETH_HLEN} (EINVAL)`);
  }
  const frame = XDP_PACKET_HEADROOM + data.length + TAILROOM;
  const packetBuffer = packetFrame(memory, type === ProgType.XDP ? Math.max(frame, XDP_FRAME_SIZE) : frame);
  const packet = packetBuffer.region;
  const start = packet.start + XDP_PACKET_HEADROOM;
  memory.bytes.set(data, packet.offset + XDP_PACKET_HEADROOM);
  const bytesBetween = (from: number, to: number) => memory.bytes.slice(from - BASE, to - BASE);
  if (type === ProgType.XDP) {
    memory.resize(packet, start, start + data.length);
    const ctx = contextArea(memory, XDP_MD_SIZE, false);
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
      frame: packetBuffer,
    };
  }
  const l2 = type === ProgType.SCHED_CLS || type === ProgType.SCHED_ACT;
  const skbData = l2 || type !== ProgType.SOCKET_FILTER ? start : start + Math.min(ETH_HLEN, data.length);
  const ctx = contextArea(memory, SK_BUFF_SIZE, true);
  const view = memory.view;
  const len = start + data.length - skbData;
  view.setUint32(ctx.offset, len, true); // len
  const { protocol, pktType } = ethTypeTrans(data);
  view.setUint32(ctx.offset + 4, pktType, true); // pkt_type
  view.setUint32(ctx.offset + 16, protocol, true); // protocol (be16, as loaded from the skb)
  // ingress_ifindex stays 0: a test run's skb was not received on any device (skb_iif)
  view.setUint32(ctx.offset + 40, LOOPBACK_IFINDEX, true); // ifindex
  view.setUint32(ctx.offset + 76, skbData, true); // data
  view.setUint32(ctx.offset + 80, start + data.length, true); // data_end
  view.setUint32(ctx.offset + 160, data.length, true); // wire_len
  const ctxIn = attrs.ctxIn;
  if (ctxIn && ctxIn.length > 0) {
    checkSkbCtxIn(ctxIn, data.length);
    for (const [at, size] of SKB_CTX_FIELDS) {
      const field = ctxIn.subarray(at, at + size);
      // ifindex 0 and wire_len 0 keep the defaults (the loopback device, the packet's length)
      if ((at === 40 || at === 160) && field.every((b) => b === 0)) continue;
      memory.bytes.set(field, ctx.offset + at);
    }
  }
  const ctxOut = () => {
    const out = new Uint8Array(SK_BUFF_SIZE);
    for (const [at, size] of SKB_CTX_FIELDS)
      out.set(memory.bytes.subarray(ctx.offset + at, ctx.offset + at + size), at);
    return out;
  };
  // Programs that see the packet from its network header get the Ethernet header back zeroed (the kernel
  // memsets what it pushes back before copying the packet out).
  const dataOut = () => {
    const out = bytesBetween(start, start + data.length);
    if (skbData !== start) out.fill(0, 0, skbData - start);
    return out;
  };
  memory.resize(packet, skbData, start + data.length);
  return {
    address: ctx.start,
    dataOut,
    ctxOut,
    packet: memory.bytes.subarray(skbData - BASE, start + data.length - BASE),
  };
}
