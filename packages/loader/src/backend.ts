// The Backend interface: everything the loader needs from "a place where BPF objects live". The kernel backend
// (packages/kernel, bpf(2)) and a userspace VM (packages/vm) both implement it. This file is types only, no syscalls.
//
// Conventions:
// - Byte inputs are `Uint8Array` in the host byte order the kernel expects (instructions, keys, values, BTF).
// - Numeric kinds (prog/map/attach types, flags) are the UAPI numbers; `@bpfkit/asm` has the named tables.
// - Every object the backend creates comes back as an owned `Fd`; closing it releases the object.
// - Failures throw. The kernel backend throws `BpfSyscallError` (errno + explanation) and `VerifierError`.

import type { SourceLine } from "@bpfkit/asm";
import type { Fd } from "./fd.js";

/** The four kinds of kernel objects that have ids. */
export type ObjectKind = "prog" | "map" | "btf" | "link";

/** `BPF_MAP_CREATE` input. */
export interface MapCreateAttrs {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** `BPF_F_*` map flags (NO_PREALLOC, RDONLY_PROG, MMAPABLE, ...). */
  readonly flags?: number;
  /** Object name; the kernel keeps at most 15 bytes of `[A-Za-z0-9_.]`. */
  readonly name?: string;
  /** Template inner map for map-in-map types. */
  readonly innerMap?: Fd;
  /** NUMA node; only used when `flags` has BPF_F_NUMA_NODE. */
  readonly numaNode?: number;
  readonly ifindex?: number;
  readonly btf?: Fd;
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  readonly btfVmlinuxValueTypeId?: number;
  /** Type-specific extra (bloom filter hash count, arena address, ...). */
  readonly mapExtra?: bigint;
}

/** A `.BTF.ext`-style record array as the kernel takes it: packed records of `recordSize` bytes each. */
export interface ExtInfo {
  readonly bytes: Uint8Array;
  readonly recordSize: number;
}

/** Where an instruction came from, for error messages (from line_info plus the BTF string table). */
export interface InsnSourceLine extends SourceLine {
  /** Instruction index (8-byte slot) the line starts at. */
  readonly insnIndex: number;
}

/**
 * A CO-RE relocation of a program as it is loaded (subprograms appended), for explaining a refusal: a relocation
 * that could not be satisfied leaves a poisoned instruction (an invalid helper call), harmless in dead code.
 */
export interface ProgramCoreRelocation {
  /** Instruction index in the final program. */
  readonly insnIndex: number;
  /** libbpf's spec text: `<byte_off> [21] struct task_struct.pid (0:92 @ offset 1264)`. */
  readonly localSpec: string;
  /** libbpf's kind name: `byte_off`, `field_exists`, `enumval_value`, ... */
  readonly kindName: string;
  /** Spec of the target type it matched; undefined when nothing in the target BTF matched. */
  readonly targetSpec: string | undefined;
  /** ELF section of the record's function and the record's index in it (libbpf's `relo #N`). */
  readonly section: string;
  readonly reloIndex: number;
  /** The appended subprogram the instruction belongs to; undefined for the program's own code. */
  readonly subprogram: string | undefined;
  /** True when the relocation could not be satisfied and its instruction was poisoned. */
  readonly poisoned: boolean;
}

/** `BPF_PROG_LOAD` input. */
export interface ProgLoadAttrs {
  readonly progType: number;
  /** Encoded `struct bpf_insn` array, a multiple of 8 bytes. */
  readonly insns: Uint8Array;
  readonly license: string;
  /** Object name; the kernel keeps at most 15 bytes. */
  readonly name?: string;
  readonly expectedAttachType?: number;
  /** `BPF_F_*` program flags (SLEEPABLE, XDP_HAS_FRAGS, ...). */
  readonly flags?: number;
  readonly kernVersion?: number;
  readonly ifindex?: number;
  /** BTF the func_info/line_info refer to. */
  readonly progBtf?: Fd;
  readonly funcInfo?: ExtInfo;
  readonly lineInfo?: ExtInfo;
  /** BTF id of the attach target (tracing, lsm, struct_ops, ext). */
  readonly attachBtfId?: number;
  /** BTF object holding `attachBtfId` when it is a module's (vmlinux when absent). */
  readonly attachBtfObj?: Fd;
  /** Target program of an `ext` (freplace) program. */
  readonly attachProg?: Fd;
  /**
   * Descriptors referenced by index from instructions (kfunc module BTFs, maps with BPF_PSEUDO_MAP_IDX); null for
   * a slot nothing refers to (slot 0 when only module kfuncs use the array: off 0 means vmlinux).
   */
  readonly fdArray?: readonly (Fd | null)[];
  /**
   * Verifier log level (1 = verbose on failure, 2 = every instruction, 4 = stats). With 0 the program is loaded
   * without a log, and only a failed load is retried at level 1 to explain the failure.
   */
  readonly logLevel?: number;
  /** Initial log buffer size in bytes; grown and retried when the log does not fit. */
  readonly logSize?: number;
  /** Decoded line_info, used only to name the C source line of a verifier failure. */
  readonly sourceLines?: readonly InsnSourceLine[];
  /** The program's CO-RE relocations, used only to explain a verifier failure that reaches a poisoned one. */
  readonly coreRelocations?: readonly ProgramCoreRelocation[];
}

/** A successfully loaded program. */
export interface LoadedProgram {
  readonly fd: Fd;
  /** Verifier log lines; empty unless `logLevel` > 0 was asked for. */
  readonly log: readonly string[];
}

/** `BPF_BTF_LOAD` input. */
export interface BtfLoadAttrs {
  /** Raw BTF: header, types, strings. */
  readonly btf: Uint8Array;
  /** 0 = log only to explain a failure (retried at level 1); 1 = always keep the log. */
  readonly logLevel?: number;
  readonly logSize?: number;
}

export interface LoadedBtf {
  readonly fd: Fd;
  readonly log: readonly string[];
}

/** `BPF_MAP_LOOKUP_BATCH` / `BPF_MAP_LOOKUP_AND_DELETE_BATCH` input. */
export interface MapBatchLookup {
  /** Token from the previous call's `outBatch`, or null to start. */
  readonly inBatch: Uint8Array | null;
  /** Receives the token for the next call (key size for hash maps, 4 bytes for arrays). */
  readonly outBatch: Uint8Array;
  /** Receives up to `count` keys, packed. */
  readonly keys: Uint8Array;
  /** Receives up to `count` values, packed (per-CPU maps: value size rounded to 8 times possible CPUs). */
  readonly values: Uint8Array;
  readonly count: number;
  readonly elemFlags?: number;
  readonly flags?: number;
}

export interface MapBatchLookupResult {
  /** Entries written to `keys`/`values`. */
  readonly count: number;
  /** True when the map has no more entries after these. */
  readonly done: boolean;
}

/** `BPF_MAP_UPDATE_BATCH` / `BPF_MAP_DELETE_BATCH` input. */
export interface MapBatchWrite {
  readonly keys: Uint8Array;
  /** Packed values (update only). */
  readonly values?: Uint8Array;
  readonly count: number;
  readonly elemFlags?: number;
  readonly flags?: number;
}

/** `BPF_PROG_TEST_RUN` input. */
export interface TestRunAttrs {
  readonly dataIn?: Uint8Array;
  /** Room for the output packet; defaults to the input size (plus headroom the kernel may need). */
  readonly dataSizeOut?: number;
  readonly ctxIn?: Uint8Array;
  /** Room for the output context; 0 or absent = no context out. */
  readonly ctxSizeOut?: number;
  readonly repeat?: number;
  readonly flags?: number;
  readonly cpu?: number;
  readonly batchSize?: number;
}

export interface TestRunResult {
  readonly retval: number;
  /** Average duration per run in ns, as the kernel reports it. */
  readonly duration: number;
  /** Output packet, truncated to what the kernel wrote. */
  readonly dataOut: Uint8Array;
  readonly ctxOut: Uint8Array;
}

/** `BPF_LINK_CREATE` input. */
export interface LinkCreateAttrs {
  readonly prog: Fd;
  /** Target: a cgroup/netns fd, an ifindex for XDP, 0 when the target is the BTF id. */
  readonly target: Fd | number;
  readonly attachType: number;
  readonly flags?: number;
  /** Tracing/ext target by BTF id. */
  readonly targetBtfId?: number;
  /** Iterator `bpf_iter_link_info` bytes. */
  readonly iterInfo?: Uint8Array;
  /** BPF_PERF_EVENT links: the value bpf_get_attach_cookie() gives the program. */
  readonly perfEventCookie?: bigint;
  /** BPF_TRACE_KPROBE_MULTI links: the functions' addresses, and BPF_F_KPROBE_MULTI_RETURN in flags. */
  readonly kprobeMulti?: { readonly flags: number; readonly addrs: readonly bigint[] };
  /** BPF_NETFILTER links: protocol family, hook, priority and flags (BPF_F_NETFILTER_IP_DEFRAG). */
  readonly netfilter?: {
    readonly pf: number;
    readonly hooknum: number;
    readonly priority: number;
    readonly flags: number;
  };
}

/** `struct bpf_prog_info`, the fields bpftool shows. */
export interface ProgInfo {
  readonly type: number;
  readonly id: number;
  /** Program tag as 16 lowercase hex digits. */
  readonly tag: string;
  readonly name: string;
  readonly jitedProgLen: number;
  readonly xlatedProgLen: number;
  /** Load time in ns since boot. */
  readonly loadTime: bigint;
  readonly createdByUid: number;
  readonly mapIds: readonly number[];
  readonly ifindex: number;
  readonly gplCompatible: boolean;
  readonly netnsDev: bigint;
  readonly netnsIno: bigint;
  readonly btfId: number;
  readonly nrFuncInfo: number;
  readonly nrLineInfo: number;
  readonly runTimeNs: bigint;
  readonly runCnt: bigint;
  readonly recursionMisses: bigint;
  readonly verifiedInsns: number;
  readonly attachBtfObjId: number;
  readonly attachBtfId: number;
}

/** func_info / line_info records read back from a loaded program (`bpftool prog dump` needs both). */
export interface ProgExtInfo {
  readonly funcInfo: ExtInfo;
  readonly lineInfo: ExtInfo;
}

/** `struct bpf_map_info`. */
export interface MapInfo {
  readonly type: number;
  readonly id: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly ifindex: number;
  readonly btfVmlinuxValueTypeId: number;
  readonly netnsDev: bigint;
  readonly netnsIno: bigint;
  readonly btfId: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly mapExtra: bigint;
}

/** `struct bpf_btf_info`. */
export interface BtfInfo {
  readonly id: number;
  /** Size of the raw BTF in bytes. */
  readonly size: number;
  /** "vmlinux", a module name, or "" for BTF loaded by a program. */
  readonly name: string;
  readonly kernelBtf: boolean;
}

/** `struct bpf_link_info`: the common part, plus the type-specific union as raw bytes. */
export interface LinkInfo {
  readonly type: number;
  readonly id: number;
  readonly progId: number;
  /** The per-type union (tracepoint name pointer fields are not followed). */
  readonly details: Uint8Array;
}

/** A shared mapping of a map's value area (mmapable arrays: global data). */
export interface MappedMemory {
  /** The mapped bytes; reads and writes go straight to the map without syscalls. Detached after `unmap()`. */
  readonly bytes: Uint8Array;
  readonly closed: boolean;
  unmap(): void;
  [Symbol.dispose](): void;
}

/**
 * What the target supports, named after libbpf's feature probes. A backend may compute these lazily; reading a
 * property may therefore run a probe the first time.
 */
export interface Features {
  /** Programs may have names (`BPF_PROG_LOAD.prog_name`, 4.15). */
  readonly progName: boolean;
  /** `.data`/`.rodata`/`.bss` through BPF_PSEUDO_MAP_VALUE (5.2). */
  readonly globalData: boolean;
  /** BTF can be loaded at all. */
  readonly btf: boolean;
  readonly btfFunc: boolean;
  readonly btfGlobalFunc: boolean;
  readonly btfDatasec: boolean;
  readonly btfFloat: boolean;
  readonly btfDeclTag: boolean;
  readonly btfTypeTag: boolean;
  readonly btfEnum64: boolean;
  /** DATASEC names with `?` (libbpf HEAD sanitizes them otherwise). */
  readonly btfQmarkDatasec: boolean;
  /** BPF_F_MMAPABLE array maps (5.5). */
  readonly arrayMmap: boolean;
  /** `expected_attach_type` accepted at load (4.17). */
  readonly expAttachType: boolean;
  /** `bpf_probe_read_kernel` helper (5.5). */
  readonly probeReadKernel: boolean;
  /** `BPF_PROG_BIND_MAP` command (5.10). */
  readonly progBindMap: boolean;
  /** Module BTF objects are visible with names (5.11); kfuncs in modules need it. */
  readonly moduleBtf: boolean;
  /** `BPF_PROG_LOAD.fd_array` with BPF_PSEUDO_MAP_IDX (5.14); module kfunc calls index it too (5.16). */
  readonly fdArray: boolean;
  /** Memory of BPF objects is charged to the memory cgroup, not RLIMIT_MEMLOCK (5.11). */
  readonly memcgAccount: boolean;
  /** `bpf_get_attach_cookie` helper (5.15). */
  readonly bpfCookie: boolean;
  /** The kernel reports `log_true_size` (6.4). */
  readonly logTrueSize: boolean;
  /** Program type supported (e.g. `ProgType.XDP`). */
  hasProgType(progType: number): boolean;
  /** Map type supported (e.g. `MapType.RINGBUF`). */
  hasMapType(mapType: number): boolean;
  /** Helper callable from a program type. */
  hasHelper(progType: number, helperId: number): boolean;
}

/**
 * Where BPF objects live. The loader drives it: probe features, load BTF, create and fill maps, load programs,
 * test-run them, pin and look objects up. Implementations: `KernelBackend` (bpf(2)), a userspace VM.
 */
export interface Backend {
  /** Short name for messages ("kernel", "vm"). */
  readonly name: string;
  /**
   * CPUs of per-CPU map values and perf event arrays (libbpf's libbpf_num_possible_cpus); 1 when absent. A
   * getter, so a backend that never needs it never computes it.
   */
  readonly possibleCpus?: number;

  /** Feature probe results (memoised). */
  features(): Features;

  loadBtf(attrs: BtfLoadAttrs): LoadedBtf;
  createMap(attrs: MapCreateAttrs): Fd;
  loadProgram(attrs: ProgLoadAttrs): LoadedProgram;
  createLink(attrs: LinkCreateAttrs): Fd;
  /**
   * Attaches `prog` to a named hook, for a backend without kernel links (the VM; the kernel has none of this):
   * `hook` is canonical (attach/hook.ts: `tracepoint/CAT/NAME`, `raw_tp/NAME`, `kprobe/FUNC`, `uprobe/PATH:FUNC`,
   * `usdt/PATH:PROVIDER:NAME`, `perf_event`, `xdp/IFINDEX`, ...), `cookie` what bpf_get_attach_cookie() gives the
   * program. The Fd is the attachment: closing it detaches (unless it is pinned).
   */
  attachHook?(prog: Fd, hook: string, cookie?: bigint): Fd;
  /** BPF_PROG_BIND_MAP: `map` lives as long as `prog` (libbpf binds .rodata this way); when features say so. */
  bindMap?(prog: Fd, map: Fd): void;

  /** Copies the value for `key` into `value`; false if there is none. `key` null for queue/stack peek. */
  mapLookup(map: Fd, key: Uint8Array | null, value: Uint8Array, flags?: number): boolean;
  /** `flags`: BPF_ANY (0), BPF_NOEXIST (1), BPF_EXIST (2), BPF_F_LOCK (4). */
  mapUpdate(map: Fd, key: Uint8Array | null, value: Uint8Array, flags?: number): void;
  /** False if the key was not there. */
  mapDelete(map: Fd, key: Uint8Array): boolean;
  /** Pop/dequeue, or lookup-and-delete on hash maps; false if empty / missing. */
  mapLookupAndDelete(map: Fd, key: Uint8Array | null, value: Uint8Array, flags?: number): boolean;
  /** Writes the key after `key` (the first key when `key` is null) into `nextKey`; false at the end. */
  mapGetNextKey(map: Fd, key: Uint8Array | null, nextKey: Uint8Array): boolean;
  mapLookupBatch(map: Fd, batch: MapBatchLookup): MapBatchLookupResult;
  mapLookupAndDeleteBatch(map: Fd, batch: MapBatchLookup): MapBatchLookupResult;
  /** Returns the number of entries written. */
  mapUpdateBatch(map: Fd, batch: MapBatchWrite): number;
  /** Returns the number of entries deleted. */
  mapDeleteBatch(map: Fd, batch: MapBatchWrite): number;
  /** Makes the map read-only for user space (programs keep their access unless RDONLY_PROG). */
  mapFreeze(map: Fd): void;
  /** Maps the value area of a BPF_F_MMAPABLE map; `size` in bytes (rounded up to pages by the kernel). */
  mapMemory(map: Fd, size: number, writable?: boolean): MappedMemory;

  testRun(prog: Fd, attrs: TestRunAttrs): TestRunResult;

  /** Pins to a path on bpffs. */
  pin(fd: Fd, path: string): void;
  /** Removes a pin (the object lives on while something else holds it). */
  unpin(path: string): void;
  /** Opens a pinned object (`BPF_OBJ_GET`); `flags` BPF_F_RDONLY / BPF_F_WRONLY. */
  getPinned(path: string, flags?: number): Fd;

  /** Next id after `startId` (0 = first), or null when there is none. */
  nextId(kind: ObjectKind, startId: number): number | null;
  /** Opens an object by id. */
  fdById(kind: ObjectKind, id: number, flags?: number): Fd;

  progInfo(prog: Fd): ProgInfo;
  mapInfo(map: Fd): MapInfo;
  btfInfo(btf: Fd): BtfInfo;
  linkInfo(link: Fd): LinkInfo;
  /** Translated (post-verifier) instructions of a program. */
  progXlatedInsns(prog: Fd): Uint8Array;
  /** func_info and line_info the target kept for a program (insn offsets refer to the translated program). */
  progExtInfo(prog: Fd): ProgExtInfo;
  /** Raw BTF bytes of a BTF object. */
  btfData(btf: Fd): Uint8Array;

  /** Closes every handle and mapping this backend handed out that is still open. */
  close(): void;
}

/**
 * Everything a kernel of today supports, for backends that cannot probe: bpftool's dry runs (on a kernel that lacks
 * a feature the real load would differ anyway: BTF sanitized, flags dropped) and the VM (which overrides what it lacks).
 */
export const MODERN_KERNEL_FEATURES: Features = {
  progName: true,
  globalData: true,
  btf: true,
  btfFunc: true,
  btfGlobalFunc: true,
  btfDatasec: true,
  btfFloat: true,
  btfDeclTag: true,
  btfTypeTag: true,
  btfEnum64: true,
  btfQmarkDatasec: true,
  arrayMmap: true,
  expAttachType: true,
  probeReadKernel: true,
  progBindMap: true,
  moduleBtf: true,
  fdArray: true,
  memcgAccount: true,
  bpfCookie: true,
  logTrueSize: true,
  hasProgType: () => true,
  hasMapType: () => true,
  hasHelper: () => true,
};
