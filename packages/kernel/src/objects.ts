// Object commands: pin/get on bpffs, id iteration, fd by id, and OBJ_GET_INFO_BY_FD decoders.
import { unlinkSync } from "node:fs";
import { MapType } from "@bpfkit/asm";
import type { BtfInfo, Fd, LinkInfo, MapInfo, ObjectKind, ProgExtInfo, ProgInfo } from "@bpfkit/loader";
import { Staging, StructBuffer } from "./attr/attr.js";
import {
  BtfInfoLayout,
  InfoByFd,
  LinkInfoLayout,
  MapInfoLayout,
  OBJ_NAME_LEN,
  ObjId,
  ObjPin,
  ProgInfoLayout,
} from "./attr/layout.js";
import { closeFd } from "./libc.js";
import { tryCreateMap } from "./probe.js";
import { bpf, bpfOrThrow, syscallError } from "./syscall.js";
import { BpfCmd } from "./uapi.generated.js";

const ENOENT = 2;

const NEXT_ID: Record<ObjectKind, number> = {
  prog: BpfCmd.PROG_GET_NEXT_ID,
  map: BpfCmd.MAP_GET_NEXT_ID,
  btf: BpfCmd.BTF_GET_NEXT_ID,
  link: BpfCmd.LINK_GET_NEXT_ID,
};

const FD_BY_ID: Record<ObjectKind, number> = {
  prog: BpfCmd.PROG_GET_FD_BY_ID,
  map: BpfCmd.MAP_GET_FD_BY_ID,
  btf: BpfCmd.BTF_GET_FD_BY_ID,
  link: BpfCmd.LINK_GET_FD_BY_ID,
};

export function pin(fd: Fd, path: string): void {
  const staging = new Staging();
  const attr = new StructBuffer(ObjPin.size);
  attr.retain(staging).u64(ObjPin.pathname, staging.string(path)).u32(ObjPin.bpfFd, fd.value);
  const result = bpf(BpfCmd.OBJ_PIN, attr, ObjPin.size);
  staging.release();
  if (result < 0) throw syscallError(BpfCmd.OBJ_PIN, -result, path);
}

/** A pin is a bpffs file: unlinking it drops the pin's reference. */
export function unpin(path: string): void {
  unlinkSync(path);
}

export function getPinned(path: string, flags: number): number {
  const staging = new Staging();
  const attr = new StructBuffer(ObjPin.size);
  attr.retain(staging).u64(ObjPin.pathname, staging.string(path)).u32(ObjPin.fileFlags, flags);
  const result = bpf(BpfCmd.OBJ_GET, attr, ObjPin.size);
  staging.release();
  if (result < 0) throw syscallError(BpfCmd.OBJ_GET, -result, path);
  return result;
}

export function nextId(kind: ObjectKind, startId: number): number | null {
  const attr = new StructBuffer(ObjId.size);
  attr.u32(ObjId.id, startId);
  const result = bpf(NEXT_ID[kind], attr, ObjId.size);
  if (result === -ENOENT) return null;
  if (result < 0) throw syscallError(NEXT_ID[kind], -result, `after ${kind} id ${startId}`);
  return attr.getU32(ObjId.nextId);
}

export function fdById(kind: ObjectKind, id: number, flags: number): number {
  const attr = new StructBuffer(ObjId.size);
  attr.u32(ObjId.id, id).u32(ObjId.openFlags, flags);
  return bpfOrThrow(FD_BY_ID[kind], attr, ObjId.size, `${kind} id ${id}`);
}

/** Runs OBJ_GET_INFO_BY_FD into `info` (whose pointer fields the caller filled); returns the length the kernel used. */
export function getInfo(fd: Fd, info: StructBuffer): number {
  const attr = new StructBuffer(InfoByFd.size);
  attr.retain(info).u32(InfoByFd.bpfFd, fd.value).u32(InfoByFd.infoLen, info.size).u64(InfoByFd.info, info.address);
  bpfOrThrow(BpfCmd.OBJ_GET_INFO_BY_FD, attr, InfoByFd.size, `${fd.label} fd ${fd.value}`);
  return attr.getU32(InfoByFd.infoLen);
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function progInfo(fd: Fd): ProgInfo {
  const L = ProgInfoLayout;
  let capacity = 16;
  for (;;) {
    const ids = new StructBuffer(capacity * 4);
    const info = new StructBuffer(L.size);
    info.retain(ids).u32(L.nrMapIds, capacity).u64(L.mapIds, ids.address);
    getInfo(fd, info);
    const count = info.getU32(L.nrMapIds);
    if (count > capacity) {
      capacity = count;
      continue;
    }
    const mapIds: number[] = [];
    for (let i = 0; i < count; i++) mapIds.push(ids.getU32(i * 4));
    return {
      type: info.getU32(L.type),
      id: info.getU32(L.id),
      tag: hex(info.bytes.subarray(L.tag, L.tag + 8)),
      name: info.getChars(L.name, OBJ_NAME_LEN),
      jitedProgLen: info.getU32(L.jitedProgLen),
      xlatedProgLen: info.getU32(L.xlatedProgLen),
      loadTime: info.getU64(L.loadTime),
      createdByUid: info.getU32(L.createdByUid),
      mapIds,
      ifindex: info.getU32(L.ifindex),
      gplCompatible: (info.getU32(L.flagsWord) & 1) !== 0,
      netnsDev: info.getU64(L.netnsDev),
      netnsIno: info.getU64(L.netnsIno),
      btfId: info.getU32(L.btfId),
      nrFuncInfo: info.getU32(L.nrFuncInfo),
      nrLineInfo: info.getU32(L.nrLineInfo),
      runTimeNs: info.getU64(L.runTimeNs),
      runCnt: info.getU64(L.runCnt),
      recursionMisses: info.getU64(L.recursionMisses),
      verifiedInsns: info.getU32(L.verifiedInsns),
      attachBtfObjId: info.getU32(L.attachBtfObjId),
      attachBtfId: info.getU32(L.attachBtfId),
    };
  }
}

/** Post-verifier instructions (the kernel rewrites map fds to map pointers, helper calls, etc.). */
export function progXlatedInsns(fd: Fd): Uint8Array {
  const L = ProgInfoLayout;
  const probe = new StructBuffer(L.size);
  getInfo(fd, probe);
  const length = probe.getU32(L.xlatedProgLen);
  const out = new StructBuffer(Math.max(length, 8));
  const info = new StructBuffer(L.size);
  info.retain(out).u32(L.xlatedProgLen, length).u64(L.xlatedProgInsns, out.address);
  getInfo(fd, info);
  return out.bytes.slice(0, Math.min(length, info.getU32(L.xlatedProgLen)));
}

/** What the JIT made of a program: its native code and, per function (main program, then subprograms), address and length. */
export interface ProgJitedImage {
  /** Native code of every function, one after the other (empty when the program is not JITed). */
  readonly insns: Uint8Array;
  /** Kernel addresses of the functions (bpf_prog_info.jited_ksyms); empty when kernel pointers are hidden. */
  readonly ksyms: readonly bigint[];
  /** Byte length of each function's code in `insns`. */
  readonly funcLens: readonly number[];
}

/** Native code and function layout of a program; `withCode: false` reads only the addresses and lengths. */
export function progJitedImage(fd: Fd, withCode = true): ProgJitedImage {
  const L = ProgInfoLayout;
  const probe = new StructBuffer(L.size);
  getInfo(fd, probe);
  const length = withCode ? probe.getU32(L.jitedProgLen) : 0;
  const nrKsyms = probe.getU32(L.nrJitedKsyms);
  const nrLens = probe.getU32(L.nrJitedFuncLens);
  const code = new StructBuffer(Math.max(length, 8));
  const ksyms = new StructBuffer(Math.max(nrKsyms * 8, 8));
  const lens = new StructBuffer(Math.max(nrLens * 4, 8));
  const info = new StructBuffer(L.size);
  info.retain(code, ksyms, lens);
  if (length > 0) info.u32(L.jitedProgLen, length).u64(L.jitedProgInsns, code.address);
  if (nrKsyms > 0) info.u32(L.nrJitedKsyms, nrKsyms).u64(L.jitedKsyms, ksyms.address);
  if (nrLens > 0) info.u32(L.nrJitedFuncLens, nrLens).u64(L.jitedFuncLens, lens.address);
  getInfo(fd, info);
  const gotKsyms = Math.min(nrKsyms, info.getU32(L.nrJitedKsyms));
  const gotLens = Math.min(nrLens, info.getU32(L.nrJitedFuncLens));
  return {
    insns: code.bytes.slice(0, Math.min(length, info.getU32(L.jitedProgLen))),
    ksyms: Array.from({ length: gotKsyms }, (_, i) => ksyms.getU64(i * 8)),
    funcLens: Array.from({ length: gotLens }, (_, i) => lens.getU32(i * 4)),
  };
}

/** func_info and line_info of a loaded program: counts and record sizes first, then the records. */
export function progExtInfo(fd: Fd): ProgExtInfo {
  const L = ProgInfoLayout;
  const probe = new StructBuffer(L.size);
  getInfo(fd, probe);
  const funcCount = probe.getU32(L.nrFuncInfo);
  const funcSize = probe.getU32(L.funcInfoRecSize);
  const lineCount = probe.getU32(L.nrLineInfo);
  const lineSize = probe.getU32(L.lineInfoRecSize);
  const funcs = new StructBuffer(Math.max(funcCount * funcSize, 8));
  const lines = new StructBuffer(Math.max(lineCount * lineSize, 8));
  const info = new StructBuffer(L.size);
  info.retain(funcs, lines);
  if (funcCount > 0) info.u32(L.nrFuncInfo, funcCount).u32(L.funcInfoRecSize, funcSize).u64(L.funcInfo, funcs.address);
  if (lineCount > 0) info.u32(L.nrLineInfo, lineCount).u32(L.lineInfoRecSize, lineSize).u64(L.lineInfo, lines.address);
  getInfo(fd, info);
  return {
    funcInfo: { bytes: funcs.bytes.slice(0, funcCount * funcSize), recordSize: funcSize },
    lineInfo: { bytes: lines.bytes.slice(0, lineCount * lineSize), recordSize: lineSize },
  };
}

export function mapInfo(fd: Fd): MapInfo {
  const L = MapInfoLayout;
  const info = new StructBuffer(L.size);
  getInfo(fd, info);
  return {
    type: info.getU32(L.type),
    id: info.getU32(L.id),
    keySize: info.getU32(L.keySize),
    valueSize: info.getU32(L.valueSize),
    maxEntries: info.getU32(L.maxEntries),
    flags: info.getU32(L.mapFlags),
    name: info.getChars(L.name, OBJ_NAME_LEN),
    ifindex: info.getU32(L.ifindex),
    btfVmlinuxValueTypeId: info.getU32(L.btfVmlinuxValueTypeId),
    netnsDev: info.getU64(L.netnsDev),
    netnsIno: info.getU64(L.netnsIno),
    btfId: info.getU32(L.btfId),
    btfKeyTypeId: info.getU32(L.btfKeyTypeId),
    btfValueTypeId: info.getU32(L.btfValueTypeId),
    mapExtra: info.getU64(L.mapExtra),
  };
}

const BTF_NAME_CAPACITY = 64;

export function btfInfo(fd: Fd): BtfInfo {
  const L = BtfInfoLayout;
  const name = new StructBuffer(BTF_NAME_CAPACITY);
  const info = new StructBuffer(L.size);
  info.retain(name).u64(L.name, name.address).u32(L.nameLen, BTF_NAME_CAPACITY);
  getInfo(fd, info);
  return {
    id: info.getU32(L.id),
    size: info.getU32(L.btfSize),
    name: name.getChars(0, BTF_NAME_CAPACITY),
    kernelBtf: info.getU32(L.kernelBtf) !== 0,
  };
}

export function btfData(fd: Fd): Uint8Array {
  const L = BtfInfoLayout;
  const probe = new StructBuffer(L.size);
  getInfo(fd, probe);
  const size = probe.getU32(L.btfSize);
  const data = new StructBuffer(Math.max(size, 1));
  const info = new StructBuffer(L.size);
  info.retain(data).u64(L.btf, data.address).u32(L.btfSize, size);
  getInfo(fd, info);
  return data.bytes.slice(0, Math.min(size, info.getU32(L.btfSize)));
}

/** Link types whose info names something through a user buffer: raw_tracepoint (tp_name), iter (target_name). */
const LINK_TYPE_RAW_TRACEPOINT = 1;
const LINK_TYPE_ITER = 4;
/** bpftool's buffer for those names; a longer name fails the info call with ENOSPC, as it does for bpftool. */
const LINK_NAME_CAPACITY = 256;

/** Link info, and for raw_tracepoint and iter links the tracepoint or iterator target name. */
export interface KernelLinkInfo extends LinkInfo {
  readonly name?: string;
}

export function linkInfo(fd: Fd): KernelLinkInfo {
  const L = LinkInfoLayout;
  let info = new StructBuffer(L.size);
  getInfo(fd, info);
  const type = info.getU32(L.type);
  let name: string | undefined;
  if (type === LINK_TYPE_RAW_TRACEPOINT || type === LINK_TYPE_ITER) {
    // the name pointer and its length are the first two fields of both union members
    const buffer = new StructBuffer(LINK_NAME_CAPACITY);
    info = new StructBuffer(L.size);
    info
      .retain(buffer)
      .u64(L.union, buffer.address)
      .u32(L.union + 8, LINK_NAME_CAPACITY);
    getInfo(fd, info);
    name = buffer.getChars(0, LINK_NAME_CAPACITY);
  }
  const details = info.bytes.slice(L.union, L.size);
  return {
    type: info.getU32(L.type),
    id: info.getU32(L.id),
    progId: info.getU32(L.progId),
    details,
    ...(name === undefined ? {} : { name }),
  };
}

/** OBJ_GET_INFO_BY_FD into a zeroed buffer of `size` bytes, as the kernel fills it (bpftool's struct_ops dump). */
export function infoBytes(fd: Fd, size: number): Uint8Array {
  const info = new StructBuffer(size);
  getInfo(fd, info);
  return info.bytes.slice();
}

/**
 * Whether BPF_OBJ_GET_INFO_BY_FD leaves the map info fields it has nothing for as the caller's struct held them
 * (newer kernels read the struct in and write the BTF ids only for maps that have BTF) rather than zeroing them.
 * bpftool 7.1 reuses one struct across a listing, so on such kernels its output carries the previous map's BTF id
 * over. Found out by asking: a map without BTF, queried with a marker in btf_id.
 */
export function mapInfoKeepsCallerFields(): boolean {
  const map = tryCreateMap(MapType.ARRAY);
  if (map < 0) return false;
  try {
    const info = new StructBuffer(MapInfoLayout.size);
    info.u32(MapInfoLayout.btfId, 0xffffffff);
    const attr = new StructBuffer(InfoByFd.size);
    attr.retain(info).u32(InfoByFd.bpfFd, map).u32(InfoByFd.infoLen, info.size).u64(InfoByFd.info, info.address);
    if (bpf(BpfCmd.OBJ_GET_INFO_BY_FD, attr, InfoByFd.size) < 0) return false;
    return info.getU32(MapInfoLayout.btfId) === 0xffffffff;
  } finally {
    closeFd(map);
  }
}
