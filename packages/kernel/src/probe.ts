// Raw probe primitives: try a command and report success/errno (and the log), closing whatever got created.
import { encodeInstructions, exit, type Instruction, mov64Imm, R0 } from "@bpfkit/asm";
import { HOST_LITTLE_ENDIAN, Staging, StructBuffer } from "./attr/attr.js";
import { BtfLoad, MapCreate, OBJ_NAME_LEN, ProgLoad } from "./attr/layout.js";
import { closeFd } from "./libc.js";
import { bpf } from "./syscall.js";
import { BpfCmd } from "./uapi.generated.js";
import { splitLog } from "./verifier-error.js";

export interface ProbeOutcome {
  /** fd (still open, caller closes) or minus errno. */
  readonly result: number;
  readonly log: string;
}

export interface ProbeProgOptions {
  readonly expectedAttachType?: number;
  readonly flags?: number;
  readonly name?: string;
  readonly kernVersion?: number;
  readonly fdArray?: readonly number[];
  readonly attachBtfId?: number;
  /** Load for offload to this network device (prog_ifindex). */
  readonly ifindex?: number;
  /** Ask for a verifier log of this size (level 1). */
  readonly logSize?: number;
}

export const RETURN_ZERO: readonly Instruction[] = [mov64Imm(R0, 0), exit()];

export function encode(insns: readonly Instruction[]): Uint8Array {
  return encodeInstructions(insns, HOST_LITTLE_ENDIAN ? "little" : "big");
}

/** BPF_PROG_LOAD of a probe program; returns the fd (caller must close) or -errno, plus the log when asked. */
export function tryLoadProgram(progType: number, insns: readonly Instruction[], options: ProbeProgOptions = {}) {
  const staging = new Staging();
  const attr = new StructBuffer(ProgLoad.size);
  const code = encode(insns);
  attr
    .retain(staging)
    .u32(ProgLoad.progType, progType)
    .u32(ProgLoad.insnCnt, code.length / 8)
    .u64(ProgLoad.insns, staging.input(code))
    .u64(ProgLoad.license, staging.string("GPL"))
    .u32(ProgLoad.expectedAttachType, options.expectedAttachType ?? 0)
    .u32(ProgLoad.progFlags, options.flags ?? 0)
    .u32(ProgLoad.kernVersion, options.kernVersion ?? 0)
    .u32(ProgLoad.attachBtfId, options.attachBtfId ?? 0)
    .u32(ProgLoad.progIfindex, options.ifindex ?? 0)
    .chars(ProgLoad.progName, OBJ_NAME_LEN, options.name ?? "");
  if (options.fdArray !== undefined) {
    const fds = new StructBuffer(options.fdArray.length * 4);
    options.fdArray.forEach((fd, i) => {
      fds.u32(i * 4, fd);
    });
    attr.u64(ProgLoad.fdArray, staging.input(fds.bytes));
  }
  let log: Uint8Array | undefined;
  if (options.logSize !== undefined) {
    const area = staging.output(options.logSize);
    log = area.bytes;
    attr.u32(ProgLoad.logLevel, 1).u32(ProgLoad.logSize, options.logSize).u64(ProgLoad.logBuf, area.address);
  }
  const result = bpf(BpfCmd.PROG_LOAD, attr, ProgLoad.size);
  staging.release();
  return { result, log: log ? splitLog(log).join("\n") : "", logTrueSize: attr.getU32(ProgLoad.logTrueSize) };
}

export interface ProbeMapOptions {
  readonly keySize?: number;
  readonly valueSize?: number;
  readonly maxEntries?: number;
  readonly flags?: number;
  readonly innerMapFd?: number;
  readonly btfFd?: number;
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  readonly btfVmlinuxValueTypeId?: number;
  readonly mapExtra?: bigint;
  /** Create for offload to this network device (map_ifindex). */
  readonly ifindex?: number;
}

export function tryCreateMap(mapType: number, options: ProbeMapOptions = {}): number {
  const attr = new StructBuffer(MapCreate.size);
  attr
    .u32(MapCreate.mapType, mapType)
    .u32(MapCreate.keySize, options.keySize ?? 4)
    .u32(MapCreate.valueSize, options.valueSize ?? 4)
    .u32(MapCreate.maxEntries, options.maxEntries ?? 1)
    .u32(MapCreate.mapFlags, options.flags ?? 0)
    .u32(MapCreate.innerMapFd, options.innerMapFd ?? 0)
    .u32(MapCreate.btfFd, options.btfFd ?? 0)
    .u32(MapCreate.btfKeyTypeId, options.btfKeyTypeId ?? 0)
    .u32(MapCreate.btfValueTypeId, options.btfValueTypeId ?? 0)
    .u32(MapCreate.btfVmlinuxValueTypeId, options.btfVmlinuxValueTypeId ?? 0)
    .u64(MapCreate.mapExtra, options.mapExtra ?? 0n)
    .u32(MapCreate.mapIfindex, options.ifindex ?? 0);
  return bpf(BpfCmd.MAP_CREATE, attr, MapCreate.size);
}

export function tryLoadBtf(btf: Uint8Array): number {
  const staging = new Staging();
  const attr = new StructBuffer(BtfLoad.size);
  attr.retain(staging).u64(BtfLoad.btf, staging.input(btf)).u32(BtfLoad.btfSize, btf.length);
  const result = bpf(BpfCmd.BTF_LOAD, attr, BtfLoad.size);
  staging.release();
  return result;
}

/** Closes a probe fd if the probe produced one; returns whether it did. */
export function succeeded(result: number): boolean {
  if (result < 0) return false;
  closeFd(result);
  return true;
}
