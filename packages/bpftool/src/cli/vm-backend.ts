// The userspace VM as `--backend vm` loads `object FILE` into it: @bpfkit/vm's VmBackend, plus what the kernel keeps
// of a loaded program and the VM does not, so that `prog show`, `prog dump xlated ... visual` and the map commands
// print what they print for the kernel's objects:
// - progInfo: the tag the running kernel would compute (SHA-1, or SHA-256 from Linux 6.18 on: cli/kernel-facts.ts)
//   over the instructions as loaded, the BTF id and the func_info/line_info counts of the load, its time (since
//   boot, as the kernel's load time) and the loading user;
// - progExtInfo: the func_info and line_info records of the load (the VM runs the instructions as loaded, so their
//   offsets stay right);
// - progXlatedInsns: the instructions as loaded, with each map reference in the form the kernel's dump gives it
//   (BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE and the map's id, which bpftool prints as `map[id:N]`), and calls
//   to subprograms with their target in `off`, as the kernel keeps them;
// - bindMap (BPF_PROG_BIND_MAP, which the loader uses as libbpf does, to tie .rodata to every program): the map
//   joins the program's map ids, after those its instructions use, as in the kernel's used_maps;
// - createMap: the object's BTF is refused where the kernel (or bpftool 7.1's libbpf) would refuse it for the map
//   (commands/prog/dry-load.ts), so the loader creates the map without it, as it does in the kernel;
// - map calls: a VM refusal that names the kernel's errno (`... (EPERM)`, `...: E2BIG`) carries that errno, so
//   bpftool's messages and exit statuses are the kernel's; where the VM answers otherwise, the kernel's answer is
//   given (freezing a frozen map: EPERM; get_next_key of a ring buffer: ENOTSUPP, of a bloom filter: EOPNOTSUPP;
//   a perf event array's keys are walked as an array's, and a lookup in it is ENOTSUPP);
// - loadProgram: what only the kernel resolves (ksyms, kfunc calls) and helpers the VM lacks are refused by name.
// Nothing here calls bpf(2): the clock is clock_gettime(CLOCK_BOOTTIME), kernel facts come from its BTF.

import { BPFTOOL_HELPER_NAMES } from "@bpfkit/asm";
import { Btf } from "@bpfkit/btf";
import { ClockId, clockGettime } from "@bpfkit/kernel";
import type {
  ExtInfo,
  Fd,
  Features,
  LoadedProgram,
  MapBatchLookup,
  MapBatchLookupResult,
  MapBatchWrite,
  MapCreateAttrs,
  ProgExtInfo,
  ProgInfo,
  ProgLoadAttrs,
} from "@bpfkit/loader";
import { VmBackend } from "@bpfkit/vm";
import { btfRefused } from "../commands/prog/dry-load.js";
import { progTag } from "../commands/prog/tag.js";
import { errnoOf } from "./errors.js";
import { tagHash } from "./kernel-facts.js";
import { ERRNO_TEXT } from "./strerror.generated.js";

const LD_IMM64 = 0x18;
const CALL = 0x85;
const PSEUDO_CALL = 1;
const PSEUDO_KFUNC_CALL = 2;
const PSEUDO_BTF_ID = 3;
const PSEUDO_MAP_FD = 1;
const PSEUDO_MAP_VALUE = 2;
const PSEUDO_MAP_IDX = 5;
const PSEUDO_MAP_IDX_VALUE = 6;
const EPERM = 1;
const EINVAL = 22;
const EOPNOTSUPP = 95;
/** The kernel's own ENOTSUPP, which strerror does not know ("Unknown error 524"). */
const ENOTSUPP = 524;
const PERF_EVENT_ARRAY = 4;
const RINGBUF = 27;
const BLOOM_FILTER = 30;

/** What BPF_PROG_LOAD received for one program, and when. */
interface LoadRecord {
  readonly insns: Uint8Array;
  readonly fdArray: readonly (Fd | null)[] | undefined;
  readonly funcInfo: ExtInfo | undefined;
  readonly lineInfo: ExtInfo | undefined;
  readonly btfId: number;
  readonly loadTime: bigint;
  readonly uid: number;
}

/** A VM refusal with the errno the kernel gives for the same call (what bpftool's messages are made of). */
export class VmErrnoError extends Error {
  override readonly name = "VmErrnoError";
  readonly errno: number;

  constructor(errno: number, cause: Error) {
    super(cause.message, { cause });
    this.errno = errno;
  }
}

const ERRNO_BY_NAME = new Map(Object.entries(ERRNO_TEXT).map(([n, [name]]) => [name, Number(n)] as const));

/** The errno a VM error names at its end (`(EINVAL)`, `: E2BIG`, `(errno 22)`), if it names one. */
export function vmErrno(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const known = errnoOf(error);
  if (known !== undefined) return known;
  const named = /\b(E[A-Z0-9]+)\)?$/.exec(error.message)?.[1];
  if (named !== undefined) return ERRNO_BY_NAME.get(named);
  const numbered = /\(errno (\d+)\)$/.exec(error.message)?.[1];
  return numbered === undefined ? undefined : Number(numbered);
}

/** `call()`, its VM refusals rethrown with their errno. */
function withErrno<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    const errno = vmErrno(error);
    if (errno === undefined || errnoOf(error) !== undefined) throw error;
    throw new VmErrnoError(errno, error as Error);
  }
}

/** What in `insns` only the kernel can resolve: a kernel variable (ksym) or a kfunc call; undefined when nothing. */
function kernelReference(insns: Uint8Array): string | undefined {
  for (let at = 0; at + 8 <= insns.length; at += 8) {
    const src = insns[at + 1]! >> 4;
    if (insns[at] === LD_IMM64 && src === PSEUDO_BTF_ID) return `insn ${at / 8}: a kernel variable (ksym) is`;
    if (insns[at] === CALL && src === PSEUDO_KFUNC_CALL) return `insn ${at / 8}: a kernel function call (kfunc) is`;
    if (insns[at] === LD_IMM64) at += 8;
  }
  return undefined;
}

/** A refusal the kernel makes with `errno` where the VM answers otherwise. */
function kernelErrno(errno: number, what: string): VmErrnoError {
  return new VmErrnoError(errno, new Error(`${what}: not supported (errno ${errno}, as the kernel)`));
}

function nanosecondsSinceBoot(): bigint {
  const now = clockGettime(ClockId.BOOTTIME);
  return now === undefined ? 0n : now[0] * 1_000_000_000n + now[1];
}

function records(info: ExtInfo | undefined): ExtInfo | undefined {
  return info === undefined || info.bytes.length === 0 || info.recordSize === 0 ? undefined : info;
}

export class BpftoolVm extends VmBackend {
  readonly #loads = new Map<number, LoadRecord>();
  readonly #frozen = new Set<number>();
  /** Maps bound to each program (BPF_PROG_BIND_MAP), by program handle. */
  readonly #bound = new Map<number, number[]>();

  override features(): Features {
    return { ...super.features(), progBindMap: true };
  }

  /** BPF_PROG_BIND_MAP: the map is one of the program's from now on (nothing to keep alive in the VM). */
  bindMap(prog: Fd, map: Fd): void {
    const { id } = this.mapInfo(map);
    const bound = this.#bound.get(prog.value) ?? [];
    if (!bound.includes(id)) bound.push(id);
    this.#bound.set(prog.value, bound);
  }

  /** BTF objects as parsed, by handle (for the BTF checks of map creation). */
  readonly #btfs = new Map<number, Btf | undefined>();

  override createMap(attrs: MapCreateAttrs): Fd {
    if (attrs.btf !== undefined) {
      const handle = attrs.btf.value;
      if (!this.#btfs.has(handle)) {
        let btf: Btf | undefined;
        try {
          btf = Btf.parse(this.btfData(attrs.btf), { checkCycles: false });
        } catch {}
        this.#btfs.set(handle, btf);
      }
      if (btfRefused(attrs, this.#btfs.get(handle))) {
        const why = new Error(`map '${attrs.name ?? ""}': the kernel refuses its BTF (EINVAL)`);
        throw new VmErrnoError(EINVAL, why);
      }
    }
    return super.createMap(attrs);
  }

  override loadProgram(attrs: ProgLoadAttrs): LoadedProgram {
    const name = attrs.name ?? "";
    const kernelOnly = kernelReference(attrs.insns);
    if (kernelOnly !== undefined) throw new Error(`prog '${name}': ${kernelOnly} not supported by the VM backend`);
    let loaded: LoadedProgram;
    try {
      loaded = super.loadProgram(attrs);
    } catch (error) {
      // the VM's "unknown helper #N", with the helper's name
      const id = /unknown helper #(\d+)/.exec((error as Error).message)?.[1];
      if (id === undefined) throw error;
      const helper = BPFTOOL_HELPER_NAMES[Number(id)] ?? "helper";
      throw new Error(`prog '${name}': ${helper}#${id} is not supported by the VM backend`, { cause: error });
    }
    const funcInfo = records(attrs.funcInfo);
    const lineInfo = records(attrs.lineInfo);
    this.#loads.set(loaded.fd.value, {
      insns: attrs.insns.slice(),
      fdArray: attrs.fdArray,
      funcInfo,
      lineInfo,
      // the kernel keeps the program's BTF only when func_info or line_info refers to it
      btfId: funcInfo !== undefined || lineInfo !== undefined ? (attrs.progBtf?.value ?? 0) : 0,
      loadTime: nanosecondsSinceBoot(),
      uid: process.getuid?.() ?? 0,
    });
    return loaded;
  }

  override progInfo(prog: Fd): ProgInfo {
    const info = super.progInfo(prog);
    const load = this.#loads.get(prog.value);
    if (load === undefined) return info;
    const bound = (this.#bound.get(prog.value) ?? []).filter((id) => !info.mapIds.includes(id));
    return {
      ...info,
      mapIds: [...info.mapIds, ...bound],
      tag: progTag(load.insns, tagHash()),
      btfId: load.btfId,
      nrFuncInfo: load.funcInfo === undefined ? 0 : load.funcInfo.bytes.length / load.funcInfo.recordSize,
      nrLineInfo: load.lineInfo === undefined ? 0 : load.lineInfo.bytes.length / load.lineInfo.recordSize,
      loadTime: load.loadTime,
      createdByUid: load.uid,
    };
  }

  override progExtInfo(prog: Fd): ProgExtInfo {
    const empty = super.progExtInfo(prog);
    const load = this.#loads.get(prog.value);
    return { funcInfo: load?.funcInfo ?? empty.funcInfo, lineInfo: load?.lineInfo ?? empty.lineInfo };
  }

  /**
   * The instructions as loaded, in the form of the kernel's dump of a program it does not JIT: map references with
   * source FD or VALUE and the map's id, bpf-to-bpf calls with their target in `off`.
   */
  override progXlatedInsns(prog: Fd): Uint8Array {
    const load = this.#loads.get(prog.value);
    if (load === undefined) return super.progXlatedInsns(prog);
    const insns = load.insns.slice();
    const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
    for (let at = 0; at + 8 <= insns.length; at += 8) {
      // a bpf-to-bpf call keeps its target in `off` in the kernel's dump (imm then holds the callee's address or
      // index), which bpftool prints and its graph follows
      if (insns[at] === CALL && insns[at + 1]! >> 4 === PSEUDO_CALL)
        view.setInt16(at + 2, view.getInt32(at + 4, true), true);
      if (insns[at] !== LD_IMM64 || at + 16 > insns.length) continue;
      const src = insns[at + 1]! >> 4;
      const ref = view.getInt32(at + 4, true);
      const indexed = src === PSEUDO_MAP_IDX || src === PSEUDO_MAP_IDX_VALUE;
      if (src === PSEUDO_MAP_FD || src === PSEUDO_MAP_VALUE || indexed) {
        // a VM map's id is its handle, which is also its descriptor
        const id = indexed ? (load.fdArray?.[ref]?.value ?? ref) : ref;
        const value = src === PSEUDO_MAP_VALUE || src === PSEUDO_MAP_IDX_VALUE;
        insns[at + 1] = ((value ? PSEUDO_MAP_VALUE : PSEUDO_MAP_FD) << 4) | (insns[at + 1]! & 0x0f);
        view.setInt32(at + 4, id, true);
        if (!value) view.setInt32(at + 12, 0, true);
      }
      at += 8;
    }
    return insns;
  }

  override mapLookup(map: Fd, key: Uint8Array | null, value: Uint8Array): boolean {
    // a perf event array's slots hold perf events, which user space cannot read back
    if (this.mapInfo(map).type === PERF_EVENT_ARRAY) throw kernelErrno(ENOTSUPP, "perf event array lookup");
    return withErrno(() => super.mapLookup(map, key, value));
  }

  override mapUpdate(map: Fd, key: Uint8Array | null, value: Uint8Array, flags?: number): void {
    withErrno(() => super.mapUpdate(map, key, value, flags));
  }

  override mapDelete(map: Fd, key: Uint8Array): boolean {
    return withErrno(() => super.mapDelete(map, key));
  }

  override mapLookupAndDelete(map: Fd, key: Uint8Array | null, value: Uint8Array): boolean {
    return withErrno(() => super.mapLookupAndDelete(map, key, value));
  }

  override mapGetNextKey(map: Fd, key: Uint8Array | null, nextKey: Uint8Array): boolean {
    // the kernel's answers for the keyless types (queue and stack: EINVAL, as the VM's) and perf event arrays
    const { type, maxEntries } = this.mapInfo(map);
    if (type === RINGBUF) throw kernelErrno(ENOTSUPP, "ring buffer get_next_key");
    if (type === BLOOM_FILTER) throw kernelErrno(EOPNOTSUPP, "bloom filter get_next_key");
    if (type === PERF_EVENT_ARRAY) {
      // an array's walk (array_map_get_next_key): the index after `key`, from 0 when it is past the end
      const index = key === null ? maxEntries : new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
      const next = index >= maxEntries ? 0 : index + 1;
      if (next >= maxEntries) return false;
      new DataView(nextKey.buffer, nextKey.byteOffset, 4).setUint32(0, next, true);
      return true;
    }
    return withErrno(() => super.mapGetNextKey(map, key, nextKey));
  }

  override mapLookupBatch(map: Fd, batch: MapBatchLookup): MapBatchLookupResult {
    return withErrno(() => super.mapLookupBatch(map, batch));
  }

  override mapLookupAndDeleteBatch(map: Fd, batch: MapBatchLookup): MapBatchLookupResult {
    return withErrno(() => super.mapLookupAndDeleteBatch(map, batch));
  }

  override mapUpdateBatch(map: Fd, batch: MapBatchWrite): number {
    return withErrno(() => super.mapUpdateBatch(map, batch));
  }

  override mapDeleteBatch(map: Fd, batch: MapBatchWrite): number {
    return withErrno(() => super.mapDeleteBatch(map, batch));
  }

  override mapFreeze(map: Fd): void {
    // a frozen map (.rodata, which the load freezes) is not writable: the kernel refuses BPF_MAP_FREEZE with EPERM
    if (this.#frozen.has(map.value)) {
      throw new VmErrnoError(EPERM, new Error(`map ${map.value} is frozen already (EPERM)`));
    }
    withErrno(() => super.mapFreeze(map));
    this.#frozen.add(map.value);
  }

  override close(): void {
    this.#loads.clear();
    this.#frozen.clear();
    this.#bound.clear();
    this.#btfs.clear();
    super.close();
  }
}
