// rtnetlink dumps (RTM_GETLINK, RTM_GETQDISC, RTM_GETTCLASS, RTM_GETTFILTER): where XDP and tc programs are
// attached is only told over netlink. One NETLINK_ROUTE socket per `RtNetlink`; requests are dumps, answered by
// multi-part messages until NLMSG_DONE, or an NLMSG_ERROR with minus an errno. Socket calls go through koffi like
// bpf(2) does (libc.ts holds the bpf and memory calls; koffi hands out the same loaded libc here).
import koffi from "koffi";
import { HOST_LITTLE_ENDIAN } from "./attr/attr.js";

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_NETLINK = 270;
const NETLINK_EXT_ACK = 11;
const EINTR = 4;

export const NLM_F_REQUEST = 1;
export const NLM_F_MULTI = 2;
export const NLM_F_DUMP = 0x300;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_HDRLEN = 16;

export const NLM_F_ACK = 4;
export const RTM_SETLINK = 19;
export const RTM_GETLINK = 18;
export const RTM_GETQDISC = 38;
export const RTM_GETTCLASS = 42;
export const RTM_GETTFILTER = 46;

const libc = koffi.load("libc.so.6");
const rawSocket = libc.func("int socket(int domain, int type, int protocol)") as (
  a: number,
  b: number,
  c: number,
) => number;
const rawSetsockopt = libc.func("int setsockopt(int fd, int level, int name, uintptr_t value, uint32_t len)") as (
  fd: number,
  level: number,
  name: number,
  value: number,
  len: number,
) => number;
const rawBind = libc.func("int bind(int fd, uintptr_t addr, uint32_t len)") as (
  fd: number,
  addr: number,
  len: number,
) => number;
const rawGetsockname = libc.func("int getsockname(int fd, uintptr_t addr, uintptr_t len)") as (
  fd: number,
  addr: number,
  len: number,
) => number;
const rawSend = libc.func("long send(int fd, uintptr_t buf, size_t len, int flags)") as (
  fd: number,
  buf: number,
  len: number,
  flags: number,
) => number;
const rawRecv = libc.func("long recv(int fd, uintptr_t buf, size_t len, int flags)") as (
  fd: number,
  buf: number,
  len: number,
  flags: number,
) => number;
const rawClose = libc.func("int close(int fd)") as (fd: number) => number;

/**
 * A failed netlink step: `errno` from the socket call, or the (positive) errno an NLMSG_ERROR carried, with the
 * kernel's extended ack message when it gave one.
 */
export class NetlinkError extends Error {
  override readonly name = "NetlinkError";
  constructor(
    message: string,
    readonly errno: number,
    readonly kernelMessage?: string,
  ) {
    super(kernelMessage === undefined ? message : `${message}: ${kernelMessage}`);
  }
}

const NLMSGERR_ATTR_MSG = 1;
const NLM_F_ACK_TLVS = 0x200;
const NLM_F_CAPPED = 0x100;

/** The extended ack message after an NLMSG_ERROR's payload (errno + the request, or its header when capped). */
function extackMessage(message: Uint8Array, flags: number): string | undefined {
  if (!(flags & NLM_F_ACK_TLVS) || message.length < 4 + NLMSG_HDRLEN) return undefined;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const requestLength = flags & NLM_F_CAPPED ? NLMSG_HDRLEN : view.getUint32(4, HOST_LITTLE_ENDIAN);
  const start = 4 + align4(requestLength);
  if (start > message.length) return undefined;
  const text = parseAttributes(message.subarray(start), NLMSGERR_ATTR_MSG).get(NLMSGERR_ATTR_MSG);
  return text === undefined ? undefined : attributeString(text);
}

function addressOf(buffer: ArrayBuffer): number {
  return Number(koffi.address(buffer));
}

/** One message of a dump: its type and flags, and the bytes after the netlink header. */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly payload: Uint8Array;
}

/** A netlink attribute (type without the NESTED / NET_BYTEORDER bits) and its payload. */
export interface NetlinkAttribute {
  readonly type: number;
  readonly data: Uint8Array;
}

const NLA_TYPE_MASK = 0x3fff;
const align4 = (n: number) => (n + 3) & ~3;

/**
 * Attributes in `bytes` as libbpf's nla_parse keeps them: by type, types above `maxType` dropped, a later
 * attribute of a type replacing an earlier one. Parsing stops at a malformed length.
 */
export function parseAttributes(bytes: Uint8Array, maxType: number): Map<number, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<number, Uint8Array>();
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const len = view.getUint16(offset, HOST_LITTLE_ENDIAN);
    const type = view.getUint16(offset + 2, HOST_LITTLE_ENDIAN) & NLA_TYPE_MASK;
    if (len < 4 || offset + len > bytes.length) break;
    if (type <= maxType) out.set(type, bytes.subarray(offset + 4, offset + len));
    offset += align4(len);
  }
  return out;
}

/** A C string attribute (up to the first NUL). */
export function attributeString(data: Uint8Array): string {
  const end = data.indexOf(0);
  return new TextDecoder().decode(end < 0 ? data : data.subarray(0, end));
}

export function attributeU32(data: Uint8Array): number {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, HOST_LITTLE_ENDIAN);
}

export function attributeU8(data: Uint8Array): number {
  return data[0] ?? 0;
}

export class RtNetlink implements Disposable {
  #fd: number;
  readonly #pid: number;
  #seq: number;

  constructor() {
    const fd = rawSocket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw new NetlinkError("socket(AF_NETLINK)", koffi.errno());
    try {
      const one = new ArrayBuffer(4);
      new DataView(one).setInt32(0, 1, HOST_LITTLE_ENDIAN);
      // extended acks only improve error messages; a kernel without them is fine
      rawSetsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, addressOf(one), 4);
      const sa = new ArrayBuffer(12);
      new DataView(sa).setUint16(0, AF_NETLINK, HOST_LITTLE_ENDIAN);
      if (rawBind(fd, addressOf(sa), 12) < 0) throw new NetlinkError("bind(AF_NETLINK)", koffi.errno());
      const len = new ArrayBuffer(4);
      new DataView(len).setUint32(0, 12, HOST_LITTLE_ENDIAN);
      if (rawGetsockname(fd, addressOf(sa), addressOf(len)) < 0)
        throw new NetlinkError("getsockname(AF_NETLINK)", koffi.errno());
      this.#pid = new DataView(sa).getUint32(4, HOST_LITTLE_ENDIAN);
    } catch (error) {
      rawClose(fd);
      throw error;
    }
    this.#fd = fd;
    this.#seq = Math.floor(Date.now() / 1000);
  }

  /**
   * Sends a dump request of `type` with `body` (ifinfomsg, tcmsg ...) and returns every answer message up to
   * NLMSG_DONE. An NLMSG_ERROR answer throws NetlinkError with its errno.
   */
  dump(type: number, body: Uint8Array): NetlinkMessage[] {
    return this.#exchange(type, NLM_F_REQUEST | NLM_F_DUMP, body);
  }

  /**
   * Sends a request that changes something (RTM_SETLINK ...) and waits for its acknowledgement. `flags` adds
   * NLM_F_CREATE, NLM_F_EXCL, NLM_F_ECHO ...; what the kernel sends before the acknowledgement (the echo of a
   * created object) is returned.
   */
  request(type: number, body: Uint8Array, flags = 0): NetlinkMessage[] {
    return this.#exchange(type, NLM_F_REQUEST | NLM_F_ACK | flags, body);
  }

  #exchange(type: number, requestFlags: number, body: Uint8Array): NetlinkMessage[] {
    if (this.#fd < 0) throw new NetlinkError("netlink socket closed", 9);
    const seq = this.#seq++ >>> 0;
    const request = new ArrayBuffer(NLMSG_HDRLEN + body.length);
    const view = new DataView(request);
    view.setUint32(0, request.byteLength, HOST_LITTLE_ENDIAN);
    view.setUint16(4, type, HOST_LITTLE_ENDIAN);
    view.setUint16(6, requestFlags, HOST_LITTLE_ENDIAN);
    view.setUint32(8, seq, HOST_LITTLE_ENDIAN);
    new Uint8Array(request).set(body, NLMSG_HDRLEN);
    if (rawSend(this.#fd, addressOf(request), request.byteLength, 0) < 0)
      throw new NetlinkError("send(netlink)", koffi.errno());
    const messages: NetlinkMessage[] = [];
    const buffer = new ArrayBuffer(64 * 1024);
    for (;;) {
      const len = rawRecv(this.#fd, addressOf(buffer), buffer.byteLength, 0);
      if (len < 0) {
        const errno = koffi.errno();
        if (errno === EINTR) continue;
        throw new NetlinkError("recv(netlink)", errno);
      }
      if (len === 0) return messages;
      const bytes = new Uint8Array(buffer, 0, len);
      const data = new DataView(buffer, 0, len);
      let multipart = false;
      for (let offset = 0; offset + NLMSG_HDRLEN <= len; ) {
        const msgLen = data.getUint32(offset, HOST_LITTLE_ENDIAN);
        if (msgLen < NLMSG_HDRLEN || offset + msgLen > len) break;
        const msgType = data.getUint16(offset + 4, HOST_LITTLE_ENDIAN);
        const flags = data.getUint16(offset + 6, HOST_LITTLE_ENDIAN);
        if (data.getUint32(offset + 12, HOST_LITTLE_ENDIAN) !== this.#pid)
          throw new NetlinkError("netlink answer for another socket", 0);
        if (data.getUint32(offset + 8, HOST_LITTLE_ENDIAN) !== seq)
          throw new NetlinkError("netlink answer out of sequence", 0);
        if (flags & NLM_F_MULTI) multipart = true;
        if (msgType === NLMSG_DONE) return messages;
        if (msgType === NLMSG_ERROR) {
          const error = data.getInt32(offset + NLMSG_HDRLEN, HOST_LITTLE_ENDIAN);
          if (error !== 0) {
            const payload = bytes.subarray(offset + NLMSG_HDRLEN, offset + msgLen);
            throw new NetlinkError("netlink request refused", -error, extackMessage(payload, flags));
          }
          // an acknowledgement ends a request that is not a dump
          if (!(requestFlags & NLM_F_DUMP)) return messages;
        } else {
          messages.push({ type: msgType, flags, payload: bytes.slice(offset + NLMSG_HDRLEN, offset + msgLen) });
        }
        offset += align4(msgLen);
      }
      if (!multipart && requestFlags & NLM_F_DUMP) return messages;
    }
  }

  close(): void {
    if (this.#fd >= 0) rawClose(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
