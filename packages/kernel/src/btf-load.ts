// BPF_BTF_LOAD with the same log handling as program loads: the BTF checker's log explains a refusal.
import type { BtfLoadAttrs, Fd, LoadedBtf } from "@bpfkit/loader";
import { Staging, StructBuffer } from "./attr/attr.js";
import { BtfLoad } from "./attr/layout.js";
import { KernelBackendError } from "./errors.js";
import { runWithLog } from "./log-buffer.js";
import { bpf, errnoName, syscallError } from "./syscall.js";
import { BpfCmd } from "./uapi.generated.js";
import { VerifierError } from "./verifier-error.js";

export function loadBtf(attrs: BtfLoadAttrs, own: (fd: number) => Fd): LoadedBtf {
  if (attrs.btf.length === 0) throw new KernelBackendError("BTF is empty");
  const staging = new Staging();
  const attr = new StructBuffer(BtfLoad.size);
  attr.retain(staging).u64(BtfLoad.btf, staging.input(attrs.btf)).u32(BtfLoad.btfSize, attrs.btf.length);
  const outcome = runWithLog(
    attr,
    {
      level: BtfLoad.btfLogLevel,
      size: BtfLoad.btfLogSize,
      buffer: BtfLoad.btfLogBuf,
      trueSize: BtfLoad.btfLogTrueSize,
    },
    () => bpf(BpfCmd.BTF_LOAD, attr, BtfLoad.size),
    attrs.logLevel ?? 0,
    attrs.logSize,
  );
  staging.release();
  if (outcome.result >= 0) return { fd: own(outcome.result), log: outcome.log };
  const errno = -outcome.result;
  if (outcome.log.length === 0) throw syscallError(BpfCmd.BTF_LOAD, errno);
  throw new VerifierError({
    command: "BPF_BTF_LOAD",
    errno,
    code: errnoName(errno),
    log: outcome.log,
    truncated: outcome.truncated,
  });
}
