// BPF_PROG_LOAD: encode the attr, run the verifier-log loop, turn a refusal into a VerifierError.
import type { LoadedProgram, ProgLoadAttrs } from "@bpfkit/loader";
import { Staging, StructBuffer } from "./attr/attr.js";
import { OBJ_NAME_LEN, ProgLoad } from "./attr/layout.js";
import { KernelBackendError } from "./errors.js";
import { runWithLog } from "./log-buffer.js";
import { bpf, errnoName, syscallError } from "./syscall.js";
import { BpfCmd } from "./uapi.generated.js";
import { VerifierError } from "./verifier-error.js";

const INSN_SIZE = 8;

function extInfoCount(info: { bytes: Uint8Array; recordSize: number } | undefined, what: string): number {
  if (info === undefined) return 0;
  if (!Number.isInteger(info.recordSize) || info.recordSize <= 0 || info.bytes.length % info.recordSize !== 0)
    throw new KernelBackendError(
      `${what}: ${info.bytes.length} bytes is not a whole number of ${info.recordSize}-byte records`,
    );
  return info.bytes.length / info.recordSize;
}

export function loadProgram(attrs: ProgLoadAttrs, own: (fd: number) => LoadedProgram["fd"]): LoadedProgram {
  const { insns } = attrs;
  if (insns.length === 0 || insns.length % INSN_SIZE !== 0)
    throw new KernelBackendError(`program has ${insns.length} bytes of instructions, not a non-zero multiple of 8`);
  const funcInfoCount = extInfoCount(attrs.funcInfo, "func_info");
  const lineInfoCount = extInfoCount(attrs.lineInfo, "line_info");

  const staging = new Staging();
  const attr = new StructBuffer(ProgLoad.size);
  attr
    .retain(staging)
    .u32(ProgLoad.progType, attrs.progType)
    .u32(ProgLoad.insnCnt, insns.length / INSN_SIZE)
    .u64(ProgLoad.insns, staging.input(insns))
    .u64(ProgLoad.license, staging.string(attrs.license))
    .u32(ProgLoad.kernVersion, attrs.kernVersion ?? 0)
    .u32(ProgLoad.progFlags, attrs.flags ?? 0)
    .chars(ProgLoad.progName, OBJ_NAME_LEN, attrs.name ?? "")
    .u32(ProgLoad.progIfindex, attrs.ifindex ?? 0)
    .u32(ProgLoad.expectedAttachType, attrs.expectedAttachType ?? 0)
    .u32(ProgLoad.progBtfFd, attrs.progBtf?.value ?? 0)
    .u32(ProgLoad.attachBtfId, attrs.attachBtfId ?? 0)
    .u32(ProgLoad.attachFd, attrs.attachProg?.value ?? attrs.attachBtfObj?.value ?? 0);
  if (attrs.funcInfo !== undefined && funcInfoCount > 0) {
    attr
      .u32(ProgLoad.funcInfoRecSize, attrs.funcInfo.recordSize)
      .u64(ProgLoad.funcInfo, staging.input(attrs.funcInfo.bytes))
      .u32(ProgLoad.funcInfoCnt, funcInfoCount);
  }
  if (attrs.lineInfo !== undefined && lineInfoCount > 0) {
    attr
      .u32(ProgLoad.lineInfoRecSize, attrs.lineInfo.recordSize)
      .u64(ProgLoad.lineInfo, staging.input(attrs.lineInfo.bytes))
      .u32(ProgLoad.lineInfoCnt, lineInfoCount);
  }
  if (attrs.fdArray !== undefined && attrs.fdArray.length > 0) {
    const fds = new StructBuffer(attrs.fdArray.length * 4);
    attrs.fdArray.forEach((fd, i) => {
      fds.u32(i * 4, fd?.value ?? 0);
    });
    attr.u64(ProgLoad.fdArray, staging.input(fds.bytes));
  }

  const outcome = runWithLog(
    attr,
    { level: ProgLoad.logLevel, size: ProgLoad.logSize, buffer: ProgLoad.logBuf, trueSize: ProgLoad.logTrueSize },
    () => bpf(BpfCmd.PROG_LOAD, attr, ProgLoad.size),
    attrs.logLevel ?? 0,
    attrs.logSize,
  );
  staging.release();
  if (outcome.result >= 0) return { fd: own(outcome.result), log: outcome.log };

  const errno = -outcome.result;
  const detail = attrs.name ? `"${attrs.name}"` : "";
  if (outcome.log.length === 0) throw syscallError(BpfCmd.PROG_LOAD, errno, detail);
  throw new VerifierError({
    command: "BPF_PROG_LOAD",
    errno,
    code: errnoName(errno),
    objectName: attrs.name,
    log: outcome.log,
    truncated: outcome.truncated,
    sourceLines: attrs.sourceLines,
    coreRelocations: attrs.coreRelocations,
  });
}
