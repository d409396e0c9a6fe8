// @bpfkit/kernel: the Backend over bpf(2), via koffi and libc's syscall(2).

export { type AttachOptions, attachByPlan, attachProgram } from "./attach/attach.js";
export { AttachError, type AttachErrorCode } from "./attach/errors.js";
export { attachIterator, iteratorOutput, iteratorText } from "./attach/iter.js";
export { attachSockmap, type SockmapAttachName, SockmapAttachType } from "./attach/sockmap.js";
export { attachTc, attachTcxOrTc, type TcAttachOptions, type TcDirection } from "./attach/tc.js";
export { attachUprobe, resolveBinaryPath, type UprobeTarget } from "./attach/uprobe.js";
export {
  attachUsdt,
  encodeUsdtSpec,
  parseUsdtArgs,
  USDT_MAX_ARG_COUNT,
  USDT_SPEC_SIZE,
  type UsdtArgSpec,
  UsdtArgType,
  type UsdtTarget,
} from "./attach/usdt.js";
export {
  type ProgQueryResult,
  QUERY_EFFECTIVE,
  type TaskFdInfo,
  TaskFdType,
} from "./attach.js";
export {
  Capability,
  capabilitySupported,
  dropEffectiveCapabilities,
  effectiveCapabilities,
} from "./capabilities.js";
// The user-facing load API: kernel facts gathered once, one call from object to loaded collection.
export { Collection, type LoadCollectionOptions, loadCollection } from "./collection.js";
export {
  KernelEnvironment,
  type KernelEnvironmentOptions,
  kernelEnvironment,
  type ModuleBtf,
  type SystemKconfig,
} from "./environment.js";
export { BpfSyscallError, explainErrno, KernelBackendError, type PrivilegeContext } from "./errors.js";
export { DeviceFeatures, type HelperSupport, KernelFeatures, MISC_PROBES } from "./features.js";
export { KernelBackend, type KernelBackendOptions, type KernelBtfObject } from "./kernel-backend.js";
export { ClockId, clockGettime, MountFlag, mount } from "./libc.js";
export { Link, type LinkInit } from "./link-handle.js";
export { openLinkCount } from "./link-registry.js";
export { DEFAULT_LOG_SIZE, MAX_LOG_SIZE } from "./log-buffer.js";
export { MapHandle, type MapKey } from "./map-handle.js";
export { MapMemory, PAGE_SIZE } from "./mmap.js";
export {
  attributeString,
  attributeU8,
  attributeU32,
  NetlinkError,
  type NetlinkMessage,
  parseAttributes,
  RTM_GETLINK,
  RTM_GETQDISC,
  RTM_GETTCLASS,
  RTM_GETTFILTER,
  RTM_SETLINK,
  RtNetlink,
} from "./netlink.js";
export type { KernelLinkInfo, ProgJitedImage } from "./objects.js";
export { mapInfoKeepsCallerFields } from "./objects.js";
export { type PerfEventArrayOptions, PerfEventArrayReader, type PerfRecord } from "./perf-buffer.js";
export { countCpuList, possibleCpus } from "./possible-cpus.js";
export type { ProgAttachAttrs } from "./prog-attach.js";
export { ProgramHandle } from "./program-handle.js";
export { RingBufferReader } from "./ring-buffer.js";
export { decodeLineInfo } from "./source-lines.js";
export { BPF_CMD_NAMES, BpfCmd, MapFlag, ProgFlag, TestRunFlag, UpdateFlag } from "./uapi.generated.js";
export { DataSection, VariableHandle } from "./variable-handle.js";
export {
  failingInsnIndex,
  splitLog,
  summarizeLog,
  VerifierError,
  type VerifierErrorInit,
} from "./verifier-error.js";
