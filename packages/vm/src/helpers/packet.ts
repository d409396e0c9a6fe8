// Packet helpers over the contexts test-run.ts builds: XDP's xdp_md (data, data_end, data_meta at 0, 4, 8) and
// the skb's __sk_buff (data and data_end at 76 and 80), whose fields hold VM addresses. The packet lives in one
// region with XDP_PACKET_HEADROOM before it and the kernel's skb_shared_info tailroom after it, so
// adjust_head/tail/meta apply the kernel's bounds (net/core/filter.c) to the same layout.

import { HelperId, ProgType } from "@bpfkit/asm";
import { VmError } from "../errors.js";
import type { Helper, Registers } from "../interpreter.js";
import { Errno, u32At, u32Bytes } from "../maps/map.js";
import { BASE, type VmMemory } from "../memory.js";
import { ETH_HLEN, TAILROOM } from "../test-run.js";
import { csumFrom32To16, csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff } from "./checksum.js";
import type { HelperEnvironment } from "./environment.js";
import { bytesAt, mapIn, setR0 } from "./registers.js";

/** sizeof(struct xdp_frame), kept at the start of the headroom. */
const XDP_FRAME_SIZE = 40;
const XDP_DATA = 0;
const XDP_DATA_END = 4;
const XDP_DATA_META = 8;
const SKB_DATA = 76;
const SKB_DATA_END = 80;
const XDP_ABORTED = 0;
const XDP_REDIRECT = 4;
const TC_ACT_SHOT = 2;
const TC_ACT_REDIRECT = 7;
const BPF_F_INGRESS = 1;
const HDR_FIELD_MASK = 0xf;
const PSEUDO_HDR = 0x10;
const MARK_MANGLED_0 = 0x20;
const MARK_ENFORCE = 0x40;

/** A u32 field of the context in r1 (the helper writes fields the program may only read). */
function field(memory: VmMemory, regs: Registers, offset: number, pc: number) {
  const at = memory.translate(regs.lo[1]! + offset, regs.hi[1]!, 4, false, pc);
  return {
    get: () => memory.view.getUint32(at, true),
    set: (value: number) => memory.view.setUint32(at, value, true),
  };
}

export function packetHelpers(env: HelperEnvironment): [number, Helper][] {
  const xdp = (memory: VmMemory, regs: Registers, pc: number) => {
    const frame = env.packetFrame;
    if (!frame) throw new VmError("HELPER", "no XDP packet to adjust (not in an XDP test run)", { pc });
    const data = field(memory, regs, XDP_DATA, pc);
    const end = field(memory, regs, XDP_DATA_END, pc);
    const meta = field(memory, regs, XDP_DATA_META, pc);
    return {
      data,
      end,
      meta,
      hardStart: frame.start,
      hardEnd: frame.end - TAILROOM,
      /** The program may touch data_meta..data_end from now on. */
      commit: () => memory.resize(frame.region, meta.get(), end.get()),
    };
  };
  /** The skb's linear data, [data, data_end), as a view, or undefined when `offset..+len` leaves it. */
  const skbBytes = (memory: VmMemory, regs: Registers, offset: number, len: number, pc: number) => {
    const data = field(memory, regs, SKB_DATA, pc).get();
    const end = field(memory, regs, SKB_DATA_END, pc).get();
    if (offset < 0 || offset > 0x7fffffff || data + offset + len > end) return undefined;
    const at = data - BASE + offset;
    return memory.bytes.subarray(at, at + len);
  };
  const csumReplace = (l4: boolean): Helper => {
    return (regs, memory, pc) => {
      const flags = regs.lo[5]!;
      const allowed = l4 ? HDR_FIELD_MASK | PSEUDO_HDR | MARK_MANGLED_0 | MARK_ENFORCE : HDR_FIELD_MASK;
      if (flags & ~allowed || regs.hi[5] !== 0) return setR0(regs, -Errno.EINVAL);
      const offset = regs.lo[2]!;
      const ptr = offset > 0xffff || offset & 1 ? undefined : skbBytes(memory, regs, offset, 2, pc);
      if (!ptr) return setR0(regs, -Errno.EFAULT);
      const view = new DataView(ptr.buffer, ptr.byteOffset, 2);
      const old = view.getUint16(0, true);
      if (l4 && flags & MARK_MANGLED_0 && !(flags & MARK_ENFORCE) && old === 0) return setR0(regs, 0);
      const [from, to] = [regs.lo[3]!, regs.lo[4]!];
      let sum: number;
      switch (flags & HDR_FIELD_MASK) {
        case 0:
          if (from !== 0 || regs.hi[3] !== 0) return setR0(regs, -Errno.EINVAL);
          sum = csumReplaceByDiff(old, to);
          break;
        case 2:
          sum = csumReplace2(old, from & 0xffff, to & 0xffff);
          break;
        case 4:
          sum = csumReplace4(old, from, to);
          break;
        default:
          return setR0(regs, -Errno.EINVAL);
      }
      // A UDP checksum that comes out 0 is sent as 0xffff (CSUM_MANGLED_0).
      view.setUint16(0, l4 && flags & MARK_MANGLED_0 && sum === 0 ? 0xffff : sum, true);
      setR0(regs, 0);
    };
  };
  return [
    [
      HelperId.xdp_adjust_head,
      (regs, memory, pc) => {
        const { data, end, meta, hardStart, commit } = xdp(memory, regs, pc);
        const delta = regs.lo[2]! | 0;
        const metalen = data.get() - meta.get();
        const next = data.get() + delta;
        if (next < hardStart + XDP_FRAME_SIZE + metalen || next > end.get() - ETH_HLEN) {
          return setR0(regs, -Errno.EINVAL);
        }
        if (metalen) {
          const from = meta.get() - BASE;
          memory.bytes.copyWithin(from + delta, from, from + metalen);
        }
        meta.set(meta.get() + delta);
        data.set(next);
        commit();
        setR0(regs, 0);
      },
    ],
    [
      HelperId.xdp_adjust_tail,
      (regs, memory, pc) => {
        const { data, end, hardEnd, commit } = xdp(memory, regs, pc);
        const delta = regs.lo[2]! | 0;
        const next = end.get() + delta;
        if (next > hardEnd || next < data.get() + ETH_HLEN) return setR0(regs, -Errno.EINVAL);
        if (delta > 0) memory.bytes.fill(0, end.get() - BASE, end.get() - BASE + delta);
        end.set(next);
        commit();
        setR0(regs, 0);
      },
    ],
    [
      HelperId.xdp_adjust_meta,
      (regs, memory, pc) => {
        const { data, meta, hardStart, commit } = xdp(memory, regs, pc);
        const next = meta.get() + (regs.lo[2]! | 0);
        const metalen = data.get() - next;
        if (next < hardStart + XDP_FRAME_SIZE || next > data.get()) return setR0(regs, -Errno.EINVAL);
        if (metalen % 4 !== 0 || metalen > 32) return setR0(regs, -Errno.EACCES);
        meta.set(next);
        commit();
        setR0(regs, 0);
      },
    ],
    [
      HelperId.skb_load_bytes,
      (regs, memory, pc) => {
        const len = regs.lo[4]!;
        const to = bytesAt(memory, regs, 3, len, true, pc);
        const from = skbBytes(memory, regs, regs.lo[2]! | 0, len, pc);
        if (!from) {
          to.fill(0);
          return setR0(regs, -Errno.EFAULT);
        }
        to.set(from);
        setR0(regs, 0);
      },
    ],
    [
      HelperId.skb_store_bytes,
      (regs, memory, pc) => {
        const len = regs.lo[4]!;
        if (regs.lo[5]! & ~3 || regs.hi[5] !== 0) return setR0(regs, -Errno.EINVAL);
        const from = bytesAt(memory, regs, 3, len, false, pc).slice();
        const to = skbBytes(memory, regs, regs.lo[2]! | 0, len, pc);
        if (!to) return setR0(regs, -Errno.EFAULT);
        to.set(from);
        setR0(regs, 0);
      },
    ],
    [HelperId.l3_csum_replace, csumReplace(false)],
    [HelperId.l4_csum_replace, csumReplace(true)],
    [
      HelperId.csum_diff,
      (regs, memory, pc) => {
        const [fromSize, toSize] = [regs.lo[2]!, regs.lo[4]!];
        if ((fromSize | toSize) & 3 || fromSize + toSize > 512) return setR0(regs, -Errno.EINVAL);
        const diff = new Uint8Array(fromSize + toSize);
        const from = bytesAt(memory, regs, 1, fromSize, false, pc);
        for (let k = 0; k < fromSize; k++) diff[k] = ~from[k]!;
        diff.set(bytesAt(memory, regs, 3, toSize, false, pc), fromSize);
        // Kernels since 6.13 fold the sum to 16 bits on every architecture (before, x86 gave csum_partial's 32
        // bits); this machine's kernel folds.
        setR0(regs, csumFrom32To16(csumPartial(diff, regs.lo[5]!)));
      },
    ],
    [
      HelperId.redirect,
      (regs) => {
        const flags = regs.lo[2]!;
        if (env.programType === ProgType.XDP) {
          if (flags || regs.hi[2]) return setR0(regs, XDP_ABORTED);
          env.redirects.push({ ifindex: regs.lo[1]!, flags });
          return setR0(regs, XDP_REDIRECT);
        }
        if (flags & ~BPF_F_INGRESS || regs.hi[2]) return setR0(regs, TC_ACT_SHOT);
        env.redirects.push({ ifindex: regs.lo[1]!, flags });
        setR0(regs, TC_ACT_REDIRECT);
      },
    ],
    [
      HelperId.redirect_map,
      (regs) => {
        // A devmap's slot holds an ifindex (cpumaps and xskmaps are not modelled); an empty slot or a
        // missing map answers the fallback action in flags' low bits, as the kernel does.
        const map = mapIn(env, regs);
        const key = regs.lo[2]!;
        const at = map?.lookup(u32Bytes(key));
        const ifindex = at === undefined ? 0 : u32At(map!.value(at));
        if (!map || ifindex === 0) return setR0(regs, regs.lo[3]! & 3);
        env.redirects.push({ ifindex, flags: regs.lo[3]!, map: map.name, key });
        setR0(regs, XDP_REDIRECT);
      },
    ],
  ];
}
