// Kernel feature probes in the style of libbpf's: each feature is tested once, on first use, by asking the kernel
// to do the smallest thing that needs it. Results are cached per KernelFeatures instance.

import { release } from "node:os";
import {
  AttachType,
  add64Imm,
  call,
  exit,
  HelperId,
  type Instruction,
  JmpOp,
  jmp32Imm,
  jmpImm,
  ldMapIdx,
  ldMapValue,
  MapType,
  mov64Imm,
  mov64Reg,
  ProgType,
  R0,
  R1,
  R2,
  R3,
  R10,
  Size,
  stMem,
  sub64Imm,
} from "@bpfkit/asm";
import type { Features } from "@bpfkit/loader";
import { StructBuffer } from "./attr/attr.js";
import { BtfInfoLayout, InfoByFd, ProgBindMap } from "./attr/layout.js";
import { closeFd } from "./libc.js";
import { RETURN_ZERO, succeeded, tryCreateMap, tryLoadBtf, tryLoadProgram } from "./probe.js";
import { BTF_PROBES, intBtf } from "./probe-btf.js";
import { bpf } from "./syscall.js";
import { BpfCmd, MapFlag, ProgFlag } from "./uapi.generated.js";

const EINVAL = 22;
const ENOSYS = 38;
const ENOTSUPP = 524;
/** BPF_MAXINSNS: the program size limit before 5.3 (and still for unprivileged loads). */
const BPF_MAXINSNS = 4096;

/** The programs bpftool's "misc" probes load as socket filters (one per feature, as libbpf/bpftool build them). */
export const MISC_PROBES: Readonly<Record<"largeInsnLimit" | "boundedLoops" | "isaV2" | "isaV3", () => Instruction[]>> =
  {
    // more than BPF_MAXINSNS instructions (5.3)
    largeInsnLimit: () => [...Array.from({ length: BPF_MAXINSNS }, () => mov64Imm(R0, 1)), exit()],
    // a loop the verifier can bound (5.3)
    boundedLoops: () => [mov64Imm(R0, 10), sub64Imm(R0, 1), jmpImm(JmpOp.JNE, R0, 0, -2), exit()],
    // BPF_JLT and friends (4.14)
    isaV2: () => [mov64Imm(R0, 0), jmpImm(JmpOp.JLT, R0, 0, 1), mov64Imm(R0, 1), exit()],
    // BPF_JMP32 (5.1)
    isaV3: () => [mov64Imm(R0, 0), jmp32Imm(JmpOp.JLT, R0, 0, 1), mov64Imm(R0, 1), exit()],
  };

// Kinds newer than the 6.1 UAPI header the tables are generated from (include/uapi/linux/bpf.h, later kernels).
const PROG_TYPE_NETFILTER = 32; // 6.4
const ATTACH_TYPE_NETFILTER = 45;
const MAP_TYPE_CGRP_STORAGE = 32; // 6.2
const MAP_TYPE_ARENA = 33; // 6.9
const PAGE_SIZE = 4096;

/** What a probe load of one program type needs (mirrors libbpf's probe_prog_load). */
interface ProgTypeProbe {
  readonly expectedAttachType?: number;
  readonly flags?: number;
  readonly kernVersion?: number;
  readonly attachBtfId?: number;
  /** When set, the load cannot succeed; this errno plus `message` in the log proves the type exists. */
  readonly expectedErrno?: number;
  readonly message?: string;
}

function progTypeProbe(progType: number): ProgTypeProbe {
  switch (progType) {
    case ProgType.CGROUP_SOCK_ADDR:
      return { expectedAttachType: AttachType.CGROUP_INET4_CONNECT };
    case ProgType.CGROUP_SOCKOPT:
      return { expectedAttachType: AttachType.CGROUP_GETSOCKOPT };
    case ProgType.SK_LOOKUP:
      return { expectedAttachType: AttachType.SK_LOOKUP };
    case ProgType.LIRC_MODE2:
      return { expectedAttachType: AttachType.LIRC_MODE2 };
    case ProgType.KPROBE:
      return { kernVersion: kernelVersionCode() };
    case ProgType.SYSCALL:
      return { flags: ProgFlag.SLEEPABLE };
    case PROG_TYPE_NETFILTER:
      return { expectedAttachType: ATTACH_TYPE_NETFILTER };
    // Types that attach by BTF id: BTF id 1 is never a valid target, and the specific refusal proves support.
    case ProgType.TRACING:
      return {
        expectedAttachType: AttachType.TRACE_FENTRY,
        attachBtfId: 1,
        expectedErrno: EINVAL,
        message: "attach_btf_id 1 is not a function",
      };
    case ProgType.LSM:
      return {
        expectedAttachType: AttachType.MODIFY_RETURN,
        attachBtfId: 1,
        expectedErrno: EINVAL,
        message: "attach_btf_id 1 is not a function",
      };
    case ProgType.EXT:
      return { attachBtfId: 1, expectedErrno: EINVAL, message: "Cannot replace kernel functions" };
    case ProgType.STRUCT_OPS:
      return { attachBtfId: 1, expectedErrno: ENOTSUPP, message: "" };
    default:
      return {};
  }
}

/** LINUX_VERSION_CODE of the running kernel from uname -r, for kprobe loads on old kernels. */
function kernelVersionCode(): number {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release());
  if (!match) return 0;
  return (Number(match[1]) << 16) + (Number(match[2]) << 8) + Math.min(Number(match[3] ?? 0), 255);
}

export class KernelFeatures implements Features {
  readonly #cache = new Map<string, boolean>();
  readonly #helpers = new Map<string, HelperSupport>();

  #once(key: string, probe: () => boolean): boolean {
    let value = this.#cache.get(key);
    if (value === undefined) {
      value = probe();
      this.#cache.set(key, value);
    }
    return value;
  }

  #btf(name: keyof typeof BTF_PROBES): boolean {
    return this.#once(name, () => succeeded(tryLoadBtf(BTF_PROBES[name]())));
  }

  get progName(): boolean {
    return this.#once("progName", () =>
      succeeded(tryLoadProgram(ProgType.SOCKET_FILTER, RETURN_ZERO, { name: "probe_name" }).result),
    );
  }

  get globalData(): boolean {
    return this.#once("globalData", () => {
      const map = tryCreateMap(MapType.ARRAY, { valueSize: 32 });
      if (map < 0) return false;
      try {
        const insns = [ldMapValue(R1, map, 0), stMem(Size.DW, R1, 0, 42), mov64Imm(R0, 0), exit()];
        return succeeded(tryLoadProgram(ProgType.SOCKET_FILTER, insns).result);
      } finally {
        closeFd(map);
      }
    });
  }

  get btf(): boolean {
    return this.#btf("btf");
  }
  get btfFunc(): boolean {
    return this.#btf("btfFunc");
  }
  get btfGlobalFunc(): boolean {
    return this.#btf("btfGlobalFunc");
  }
  get btfDatasec(): boolean {
    return this.#btf("btfDatasec");
  }
  get btfQmarkDatasec(): boolean {
    return this.#btf("btfQmarkDatasec");
  }
  get btfFloat(): boolean {
    return this.#btf("btfFloat");
  }
  get btfDeclTag(): boolean {
    return this.#btf("btfDeclTag");
  }
  get btfTypeTag(): boolean {
    return this.#btf("btfTypeTag");
  }
  get btfEnum64(): boolean {
    return this.#btf("btfEnum64");
  }

  get arrayMmap(): boolean {
    return this.#once("arrayMmap", () =>
      succeeded(tryCreateMap(MapType.ARRAY, { valueSize: 8, flags: MapFlag.MMAPABLE })),
    );
  }

  get expAttachType(): boolean {
    return this.#once("expAttachType", () =>
      succeeded(
        tryLoadProgram(ProgType.CGROUP_SOCK, RETURN_ZERO, {
          expectedAttachType: AttachType.CGROUP_INET_SOCK_CREATE,
        }).result,
      ),
    );
  }

  get probeReadKernel(): boolean {
    return this.#once("probeReadKernel", () => {
      const insns = [
        mov64Reg(R1, R10),
        add64Imm(R1, -8),
        mov64Imm(R2, 8),
        mov64Imm(R3, 0),
        call(HelperId.probe_read_kernel),
        exit(),
      ];
      return succeeded(tryLoadProgram(ProgType.TRACEPOINT, insns).result);
    });
  }

  get progBindMap(): boolean {
    return this.#once("progBindMap", () => {
      const map = tryCreateMap(MapType.ARRAY, { valueSize: 8 });
      if (map < 0) return false;
      const prog = tryLoadProgram(ProgType.SOCKET_FILTER, RETURN_ZERO).result;
      try {
        if (prog < 0) return false;
        const attr = new StructBuffer(ProgBindMap.size);
        attr.u32(ProgBindMap.progFd, prog).u32(ProgBindMap.mapFd, map);
        return bpf(BpfCmd.PROG_BIND_MAP, attr, ProgBindMap.size) >= 0;
      } finally {
        closeFd(map);
        if (prog >= 0) closeFd(prog);
      }
    });
  }

  get moduleBtf(): boolean {
    // Module BTF came with names in bpf_btf_info (5.11); a kernel without it fails the info call on `name`.
    return this.#once("moduleBtf", () => {
      const btf = tryLoadBtf(BTF_PROBES.btf());
      if (btf < 0) return false;
      try {
        const name = new StructBuffer(16);
        const info = new StructBuffer(BtfInfoLayout.size);
        info.retain(name).u64(BtfInfoLayout.name, name.address).u32(BtfInfoLayout.nameLen, 16);
        const attr = new StructBuffer(InfoByFd.size);
        attr.retain(info).u32(InfoByFd.bpfFd, btf).u32(InfoByFd.infoLen, info.size).u64(InfoByFd.info, info.address);
        return bpf(BpfCmd.OBJ_GET_INFO_BY_FD, attr, InfoByFd.size) >= 0;
      } finally {
        closeFd(btf);
      }
    });
  }

  get fdArray(): boolean {
    // BPF_PSEUDO_MAP_IDX resolves through fd_array (5.14); module kfunc calls use the same array (5.16).
    return this.#once("fdArray", () => {
      const map = tryCreateMap(MapType.ARRAY, { valueSize: 8 });
      if (map < 0) return false;
      try {
        const insns = [ldMapIdx(R1, 0), mov64Imm(R0, 0), exit()];
        return succeeded(tryLoadProgram(ProgType.SOCKET_FILTER, insns, { fdArray: [map] }).result);
      } finally {
        closeFd(map);
      }
    });
  }

  get memcgAccount(): boolean {
    // bpf_ktime_get_coarse_ns arrived in the same release (5.11) as memcg-based accounting; libbpf uses the
    // same proxy because the accounting itself is invisible to user space.
    return this.#once("memcgAccount", () =>
      succeeded(
        tryLoadProgram(ProgType.CGROUP_SKB, [call(HelperId.ktime_get_coarse_ns), mov64Imm(R0, 0), exit()]).result,
      ),
    );
  }

  get bpfCookie(): boolean {
    return this.#once("bpfCookie", () =>
      succeeded(tryLoadProgram(ProgType.TRACEPOINT, [call(HelperId.get_attach_cookie), exit()]).result),
    );
  }

  /** The bpf(2) syscall exists (any answer but ENOSYS to a program load). */
  get bpfSyscall(): boolean {
    return this.#once("bpfSyscall", () => {
      const outcome = tryLoadProgram(ProgType.UNSPEC, RETURN_ZERO);
      succeeded(outcome.result);
      return outcome.result !== -ENOSYS;
    });
  }

  /** Programs longer than 4096 instructions load (5.3). */
  get largeInsnLimit(): boolean {
    return this.#misc("largeInsnLimit");
  }

  /** Bounded loops pass the verifier (5.3). */
  get boundedLoops(): boolean {
    return this.#misc("boundedLoops");
  }

  /** ISA v2: BPF_JLT/JLE/JSLT/JSLE (4.14). */
  get isaV2(): boolean {
    return this.#misc("isaV2");
  }

  /** ISA v3: BPF_JMP32 (5.1). */
  get isaV3(): boolean {
    return this.#misc("isaV3");
  }

  #misc(name: keyof typeof MISC_PROBES): boolean {
    return this.#once(name, () => succeeded(tryLoadProgram(ProgType.SOCKET_FILTER, MISC_PROBES[name]()).result));
  }

  get logTrueSize(): boolean {
    return this.#once("logTrueSize", () => {
      const outcome = tryLoadProgram(ProgType.SOCKET_FILTER, RETURN_ZERO, { logSize: 4096 });
      succeeded(outcome.result);
      return outcome.logTrueSize > 0;
    });
  }

  hasProgType(progType: number): boolean {
    return this.#once(`prog:${progType}`, () => {
      const probe = progTypeProbe(progType);
      const outcome = tryLoadProgram(progType, RETURN_ZERO, { ...probe, logSize: 4096 });
      if (succeeded(outcome.result)) return probe.expectedErrno === undefined;
      return -outcome.result === probe.expectedErrno && outcome.log.includes(probe.message ?? "");
    });
  }

  hasMapType(mapType: number): boolean {
    return this.#once(`map:${mapType}`, () => probeMapType(mapType));
  }

  hasHelper(progType: number, helperId: number): boolean {
    return this.helperSupport(progType, helperId) === "supported";
  }

  /**
   * Whether a helper can be called from a program type. "unknown": the kernel does not know the helper id;
   * "not-for-prog-type": it knows it but refuses it for this type ("program of this type cannot use helper",
   * newer kernels). libbpf 1.1 (and so bpftool 7.1's feature probe) counts only "unknown" as missing.
   */
  helperSupport(progType: number, helperId: number): HelperSupport {
    const key = `helper:${progType}:${helperId}`;
    let value = this.#helpers.get(key);
    if (value === undefined) {
      value = probeHelper(progType, helperId, this.hasProgType(progType));
      this.#helpers.set(key, value);
    }
    return value;
  }
}

export type HelperSupport = "supported" | "unknown" | "not-for-prog-type";

function probeHelper(progType: number, helperId: number, typeSupported: boolean): HelperSupport {
  if (!typeSupported) return "unknown";
  const outcome = tryLoadProgram(progType, [call(helperId), mov64Imm(R0, 0), exit()], {
    ...progTypeProbe(progType),
    logSize: 4096,
  });
  // Like libbpf: a load that fails for any other reason (argument checks) still proves the helper exists.
  if (succeeded(outcome.result)) return "supported";
  if (/invalid func |unknown func /.test(outcome.log)) return "unknown";
  if (outcome.log.includes("program of this type cannot use helper")) return "not-for-prog-type";
  return "supported";
}

function probeMapType(mapType: number): boolean {
  switch (mapType) {
    case MapType.LPM_TRIE:
      return succeeded(tryCreateMap(mapType, { keySize: 8, valueSize: 8, flags: MapFlag.NO_PREALLOC }));
    case MapType.STACK_TRACE:
      return succeeded(tryCreateMap(mapType, { valueSize: 8 }));
    case MapType.QUEUE:
    case MapType.STACK:
    case MapType.BLOOM_FILTER:
      return succeeded(tryCreateMap(mapType, { keySize: 0 }));
    case MapType.RINGBUF:
    case MapType.USER_RINGBUF:
      return succeeded(tryCreateMap(mapType, { keySize: 0, valueSize: 0, maxEntries: PAGE_SIZE }));
    case MapType.CGROUP_STORAGE:
    case MapType.PERCPU_CGROUP_STORAGE:
      return succeeded(tryCreateMap(mapType, { keySize: 16, valueSize: 8, maxEntries: 0 }));
    case MapType.SK_STORAGE:
    case MapType.INODE_STORAGE:
    case MapType.TASK_STORAGE:
    case MAP_TYPE_CGRP_STORAGE: {
      const btf = tryLoadBtf(intBtf());
      if (btf < 0) return false;
      try {
        return succeeded(
          tryCreateMap(mapType, {
            maxEntries: 0,
            flags: MapFlag.NO_PREALLOC,
            btfFd: btf,
            btfKeyTypeId: 1,
            btfValueTypeId: 1,
          }),
        );
      } finally {
        closeFd(btf);
      }
    }
    case MapType.ARRAY_OF_MAPS:
    case MapType.HASH_OF_MAPS: {
      const inner = tryCreateMap(MapType.ARRAY);
      if (inner < 0) return false;
      try {
        return succeeded(tryCreateMap(mapType, { innerMapFd: inner }));
      } finally {
        closeFd(inner);
      }
    }
    case MAP_TYPE_ARENA:
      // One page, placed anywhere (map_extra 0); arenas must be mmapable.
      return succeeded(tryCreateMap(mapType, { keySize: 0, valueSize: 0, maxEntries: 1, flags: MapFlag.MMAPABLE }));
    case MapType.STRUCT_OPS:
      // BTF id 1 is never a struct_ops value type: a kernel with the map type answers ENOTSUPP.
      return tryCreateMap(mapType, { btfVmlinuxValueTypeId: 1 }) === -ENOTSUPP;
    default:
      return succeeded(tryCreateMap(mapType));
  }
}

/**
 * What a network device can offload, probed as bpftool's `feature probe dev IF` does: programs and maps created
 * with the device's ifindex. Only sched_cls/xdp programs and hash/array maps can be offloaded. A device without
 * an offload driver refuses everything.
 */
export class DeviceFeatures {
  readonly ifindex: number;
  readonly #cache = new Map<string, boolean>();

  constructor(ifindex: number) {
    this.ifindex = ifindex;
  }

  #once(key: string, probe: () => boolean): boolean {
    let value = this.#cache.get(key);
    if (value === undefined) {
      value = probe();
      this.#cache.set(key, value);
    }
    return value;
  }

  hasProgType(progType: number): boolean {
    // nfp refuses exit(0) for tc offload, so the probe returns 2
    return this.#once(`prog:${progType}`, () =>
      succeeded(tryLoadProgram(progType, [mov64Imm(R0, 2), exit()], { ifindex: this.ifindex }).result),
    );
  }

  hasMapType(mapType: number): boolean {
    return this.#once(`map:${mapType}`, () => succeeded(tryCreateMap(mapType, { ifindex: this.ifindex })));
  }

  /** The verifier did not call the helper unknown (other refusals, even before verification, do not count). */
  hasHelper(progType: number, helperId: number): boolean {
    return this.#once(`helper:${progType}:${helperId}`, () => {
      const outcome = tryLoadProgram(progType, [call(helperId), exit()], { ifindex: this.ifindex, logSize: 4096 });
      succeeded(outcome.result);
      return !/invalid func |unknown func /.test(outcome.log);
    });
  }

  misc(name: keyof typeof MISC_PROBES): boolean {
    return this.#once(name, () =>
      succeeded(tryLoadProgram(ProgType.SOCKET_FILTER, MISC_PROBES[name](), { ifindex: this.ifindex }).result),
    );
  }
}
