// BPF_LINK_CREATE: attach a program through a link (xdp, cgroup, iter, tracing ...).
import type { LinkCreateAttrs } from "@bpfkit/loader";
import { Staging, StructBuffer } from "./attr/attr.js";
import { LinkCreate, LinkCreateNetfilter } from "./attr/layout.js";
import { bpf, syscallError } from "./syscall.js";
import { BpfCmd } from "./uapi.generated.js";

export function createLink(attrs: LinkCreateAttrs): number {
  const staging = new Staging();
  const attr = new StructBuffer(LinkCreate.size);
  const target = typeof attrs.target === "number" ? attrs.target : attrs.target.value;
  attr
    .retain(staging)
    .u32(LinkCreate.progFd, attrs.prog.value)
    .u32(LinkCreate.targetFd, target)
    .u32(LinkCreate.attachType, attrs.attachType)
    .u32(LinkCreate.flags, attrs.flags ?? 0);
  if (attrs.iterInfo !== undefined) {
    attr.u64(LinkCreate.iterInfo, staging.input(attrs.iterInfo)).u32(LinkCreate.iterInfoLen, attrs.iterInfo.length);
  } else if (attrs.targetBtfId !== undefined) {
    attr.u32(LinkCreate.targetBtfId, attrs.targetBtfId);
  } else if (attrs.perfEventCookie !== undefined) {
    attr.u64(LinkCreate.perfEventCookie, attrs.perfEventCookie);
  } else if (attrs.kprobeMulti !== undefined) {
    const addrs = new BigUint64Array(attrs.kprobeMulti.addrs);
    attr
      .u32(LinkCreate.kprobeMultiFlags, attrs.kprobeMulti.flags)
      .u32(LinkCreate.kprobeMultiCnt, addrs.length)
      .u64(LinkCreate.kprobeMultiAddrs, BigInt(staging.input(new Uint8Array(addrs.buffer))));
  } else if (attrs.netfilter !== undefined) {
    const nf = attrs.netfilter;
    attr
      .u32(LinkCreateNetfilter.pf, nf.pf)
      .u32(LinkCreateNetfilter.hooknum, nf.hooknum)
      .u32(LinkCreateNetfilter.priority, nf.priority >>> 0)
      .u32(LinkCreateNetfilter.flags, nf.flags);
  }
  const result = bpf(BpfCmd.LINK_CREATE, attr, LinkCreate.size);
  staging.release();
  if (result < 0) throw syscallError(BpfCmd.LINK_CREATE, -result, `prog fd ${attrs.prog.value}`);
  return result;
}
