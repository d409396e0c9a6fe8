// Byte offsets of the `union bpf_attr` members and info structs we use, from include/uapi/linux/bpf.h.
// Fields newer than the 6.1 UAPI header on this machine are marked with the kernel version that added them;
// `test/kernel-attr-layout.test.ts` checks every other offset against the header with offsetof().

/** BPF_MAP_CREATE. */
export const MapCreate = {
  mapType: 0,
  keySize: 4,
  valueSize: 8,
  maxEntries: 12,
  mapFlags: 16,
  innerMapFd: 20,
  numaNode: 24,
  mapName: 28,
  mapIfindex: 44,
  btfFd: 48,
  btfKeyTypeId: 52,
  btfValueTypeId: 56,
  btfVmlinuxValueTypeId: 60,
  mapExtra: 64,
  /** offsetofend(map_extra). */
  size: 72,
} as const;

/** BPF_MAP_*_ELEM and MAP_GET_NEXT_KEY. `value` and `next_key` share offset 16. */
export const MapElem = { mapFd: 0, key: 8, value: 16, flags: 24, size: 32 } as const;

/** BPF_MAP_*_BATCH. */
export const MapBatch = {
  inBatch: 0,
  outBatch: 8,
  keys: 16,
  values: 24,
  count: 32,
  mapFd: 36,
  elemFlags: 40,
  flags: 48,
  size: 56,
} as const;

/** BPF_PROG_LOAD. */
export const ProgLoad = {
  progType: 0,
  insnCnt: 4,
  insns: 8,
  license: 16,
  logLevel: 24,
  logSize: 28,
  logBuf: 32,
  kernVersion: 40,
  progFlags: 44,
  progName: 48,
  progIfindex: 64,
  expectedAttachType: 68,
  progBtfFd: 72,
  funcInfoRecSize: 76,
  funcInfo: 80,
  funcInfoCnt: 88,
  lineInfoRecSize: 92,
  lineInfo: 96,
  lineInfoCnt: 104,
  attachBtfId: 108,
  /** Union of attach_prog_fd and attach_btf_obj_fd. */
  attachFd: 112,
  coreReloCnt: 116,
  fdArray: 120,
  coreRelos: 128,
  coreReloRecSize: 136,
  /** Linux 6.4. Older kernels accept the zero tail and leave it 0. */
  logTrueSize: 140,
  /** offsetofend(log_true_size). */
  size: 144,
} as const;

/** BPF_OBJ_PIN / BPF_OBJ_GET. */
export const ObjPin = { pathname: 0, bpfFd: 8, fileFlags: 12, size: 16 } as const;

/** BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID (start_id / prog_id / map_id / btf_id / link_id share offset 0). */
export const ObjId = { id: 0, nextId: 4, openFlags: 8, size: 12 } as const;

/** BPF_OBJ_GET_INFO_BY_FD. */
export const InfoByFd = { bpfFd: 0, infoLen: 4, info: 8, size: 16 } as const;

/** BPF_PROG_TEST_RUN. */
export const TestRun = {
  progFd: 0,
  retval: 4,
  dataSizeIn: 8,
  dataSizeOut: 12,
  dataIn: 16,
  dataOut: 24,
  repeat: 32,
  duration: 36,
  ctxSizeIn: 40,
  ctxSizeOut: 44,
  ctxIn: 48,
  ctxOut: 56,
  flags: 64,
  cpu: 68,
  batchSize: 72,
  size: 76,
} as const;

/** BPF_BTF_LOAD. */
export const BtfLoad = {
  btf: 0,
  btfLogBuf: 8,
  btfSize: 16,
  btfLogSize: 20,
  btfLogLevel: 24,
  /** Linux 6.4. */
  btfLogTrueSize: 28,
  size: 32,
} as const;

/** BPF_LINK_CREATE: common part, then the per-type union at 16. */
export const LinkCreate = {
  progFd: 0,
  targetFd: 4,
  attachType: 8,
  flags: 12,
  targetBtfId: 16,
  iterInfo: 16,
  iterInfoLen: 24,
  /** perf_event.bpf_cookie. */
  perfEventCookie: 16,
  /** kprobe_multi.{flags, cnt, syms, addrs, cookies}. */
  kprobeMultiFlags: 16,
  kprobeMultiCnt: 20,
  kprobeMultiSyms: 24,
  kprobeMultiAddrs: 32,
  kprobeMultiCookies: 40,
  size: 48,
} as const;

/** BPF_MAP_FREEZE. */
export const MapFreeze = { mapFd: 0, size: 4 } as const;

/** BPF_PROG_BIND_MAP. */
export const ProgBindMap = { progFd: 0, mapFd: 4, flags: 8, size: 12 } as const;

/** `struct bpf_prog_info`. */
export const ProgInfoLayout = {
  type: 0,
  id: 4,
  tag: 8,
  jitedProgLen: 16,
  xlatedProgLen: 20,
  jitedProgInsns: 24,
  xlatedProgInsns: 32,
  loadTime: 40,
  createdByUid: 48,
  nrMapIds: 52,
  mapIds: 56,
  name: 64,
  ifindex: 80,
  /** Bit 0 is gpl_compatible. */
  flagsWord: 84,
  netnsDev: 88,
  netnsIno: 96,
  nrJitedKsyms: 104,
  nrJitedFuncLens: 108,
  jitedKsyms: 112,
  jitedFuncLens: 120,
  btfId: 128,
  funcInfoRecSize: 132,
  funcInfo: 136,
  nrFuncInfo: 144,
  nrLineInfo: 148,
  lineInfo: 152,
  jitedLineInfo: 160,
  nrJitedLineInfo: 168,
  lineInfoRecSize: 172,
  jitedLineInfoRecSize: 176,
  nrProgTags: 180,
  progTags: 184,
  runTimeNs: 192,
  runCnt: 200,
  recursionMisses: 208,
  verifiedInsns: 216,
  attachBtfObjId: 220,
  attachBtfId: 224,
  size: 232,
} as const;

/** `struct bpf_map_info`. */
export const MapInfoLayout = {
  type: 0,
  id: 4,
  keySize: 8,
  valueSize: 12,
  maxEntries: 16,
  mapFlags: 20,
  name: 24,
  ifindex: 40,
  btfVmlinuxValueTypeId: 44,
  netnsDev: 48,
  netnsIno: 56,
  btfId: 64,
  btfKeyTypeId: 68,
  btfValueTypeId: 72,
  mapExtra: 80,
  size: 88,
} as const;

/** `struct bpf_btf_info`. */
export const BtfInfoLayout = { btf: 0, btfSize: 8, id: 12, name: 16, nameLen: 24, kernelBtf: 28, size: 32 } as const;

/** BPF_PROG_ATTACH / BPF_PROG_DETACH. */
export const ProgAttach = {
  targetFd: 0,
  attachBpfFd: 4,
  attachType: 8,
  attachFlags: 12,
  replaceBpfFd: 16,
  size: 20,
} as const;

/** BPF_PROG_QUERY (`prog_attach_flags`: Linux 6.0). */
export const ProgQuery = {
  targetFd: 0,
  attachType: 4,
  queryFlags: 8,
  attachFlags: 12,
  progIds: 16,
  progCnt: 24,
  progAttachFlags: 32,
  size: 40,
} as const;

/** BPF_TASK_FD_QUERY. */
export const TaskFdQuery = {
  pid: 0,
  fd: 4,
  flags: 8,
  bufLen: 12,
  buf: 16,
  progId: 24,
  fdType: 28,
  probeOffset: 32,
  probeAddr: 40,
  size: 48,
} as const;

/** BPF_LINK_DETACH. */
export const LinkDetach = { linkFd: 0, size: 4 } as const;

/**
 * link_create.netfilter (Linux 6.4+; the Debian 6.1 UAPI headers the layout test compiles against do not have it,
 * so it stands apart): the same union as perf_event and tracing, from offset 16.
 */
export const LinkCreateNetfilter = { pf: 16, hooknum: 20, priority: 24, flags: 28 } as const;

/** BPF_LINK_UPDATE. */
export const LinkUpdate = { linkFd: 0, newProgFd: 4, flags: 8, oldProgFd: 12, size: 16 } as const;

/** BPF_RAW_TRACEPOINT_OPEN. */
export const RawTracepointOpen = { name: 0, progFd: 8, size: 16 } as const;

/** `struct bpf_link_info`: common fields; the union starts at 16. */
export const LinkInfoLayout = { type: 0, id: 4, progId: 8, union: 16, size: 96 } as const;

/** BPF_OBJ_NAME_LEN. */
export const OBJ_NAME_LEN = 16;
