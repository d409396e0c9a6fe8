// KernelBackend: the Backend interface over bpf(2). It owns every descriptor and mapping it hands out, so
// `close()` can release all of them; each command lives in its own module.
import type {
  Backend,
  BtfInfo,
  BtfLoadAttrs,
  LinkCreateAttrs,
  LoadedBtf,
  LoadedProgram,
  MapBatchLookup,
  MapBatchLookupResult,
  MapBatchWrite,
  MapCreateAttrs,
  MapInfo,
  MappedMemory,
  ObjectKind,
  ProgExtInfo,
  ProgInfo,
  ProgLoadAttrs,
  TestRunAttrs,
  TestRunResult,
} from "@bpfkit/loader";
import { Fd } from "@bpfkit/loader";
import type { ProgQueryResult, TaskFdInfo } from "./attach.js";
import * as attach from "./attach.js";
import { StructBuffer } from "./attr/attr.js";
import { MapCreate } from "./attr/layout.js";
import { loadBtf } from "./btf-load.js";
import { BpfSyscallError, KernelBackendError } from "./errors.js";
import { fdKind } from "./fd-kind.js";
import { KernelFeatures } from "./features.js";
import { closeFd, getMemlockLimit, raiseMemlockLimit } from "./libc.js";
import { createLink } from "./link.js";
import { MapOps, mapShape } from "./map-ops.js";
import { MapMemory } from "./mmap.js";
import type { KernelLinkInfo } from "./objects.js";
import * as objects from "./objects.js";
import { possibleCpus } from "./possible-cpus.js";
import { type ProgAttachAttrs, progAttach, progDetach } from "./prog-attach.js";
import { loadProgram } from "./prog-load.js";
import { bpf, syscallError } from "./syscall.js";
import { testRun } from "./test-run.js";
import { BpfCmd } from "./uapi.generated.js";

/** A kernel BTF object: "vmlinux" or a module name. */
export interface KernelBtfObject {
  readonly id: number;
  readonly name: string;
  readonly size: number;
}

export interface KernelBackendOptions {
  /**
   * Raise RLIMIT_MEMLOCK to infinity when the kernel still charges BPF memory to it (before 5.11), as libbpf
   * does. Default true; the check runs once, before the first map or program is created.
   */
  readonly raiseMemlock?: boolean;
}

export class KernelBackend implements Backend {
  readonly name = "kernel";

  get possibleCpus(): number {
    return possibleCpus();
  }
  readonly #features = new KernelFeatures();
  readonly #open = new Map<number, WeakRef<Fd>>();
  readonly #mappings = new Set<MapMemory>();
  /** Kinds of the descriptors this backend made or checked itself, so element calls need not ask again. */
  readonly #kinds = new WeakMap<Fd, ObjectKind>();
  readonly #maps = new MapOps((map) => {
    const kind = this.objectKind(map);
    if (kind !== "map") throw new KernelBackendError(`${map} is ${kind ? `a ${kind}` : "not a BPF object"}, not a map`);
    const info = objects.mapInfo(map);
    return mapShape(info.type, info.keySize, info.valueSize);
  });
  #memlockChecked: boolean;

  constructor(options: KernelBackendOptions = {}) {
    this.#memlockChecked = options.raiseMemlock === false;
  }

  /** Wraps a new descriptor in an owned Fd that this backend can find again in `close()`. */
  /** A handle for `fd`; `kind` when this backend knows what the descriptor is (it made it, or checked it). */
  #own(fd: number, label: string, kind?: ObjectKind): Fd {
    const handle = new Fd(fd, closeFd, label, (closed) => {
      if (this.#open.get(fd)?.deref() === closed) this.#open.delete(fd);
    });
    this.#open.set(fd, new WeakRef(handle));
    if (kind !== undefined) this.#kinds.set(handle, kind);
    return handle;
  }

  #checkMemlock(): void {
    if (this.#memlockChecked) return;
    this.#memlockChecked = true;
    if (this.#features.memcgAccount) return;
    const limit = getMemlockLimit();
    if (limit !== undefined && limit[0] !== 2n ** 64n - 1n) raiseMemlockLimit();
  }

  features(): KernelFeatures {
    return this.#features;
  }

  loadBtf(attrs: BtfLoadAttrs): LoadedBtf {
    this.#checkMemlock();
    return loadBtf(attrs, (fd) => this.#own(fd, "btf"));
  }

  createMap(attrs: MapCreateAttrs): Fd {
    this.#checkMemlock();
    const attr = new StructBuffer(MapCreate.size);
    attr
      .u32(MapCreate.mapType, attrs.mapType)
      .u32(MapCreate.keySize, attrs.keySize)
      .u32(MapCreate.valueSize, attrs.valueSize)
      .u32(MapCreate.maxEntries, attrs.maxEntries)
      .u32(MapCreate.mapFlags, attrs.flags ?? 0)
      .u32(MapCreate.innerMapFd, attrs.innerMap?.value ?? 0)
      .u32(MapCreate.numaNode, attrs.numaNode ?? 0)
      .chars(MapCreate.mapName, 16, attrs.name ?? "")
      .u32(MapCreate.mapIfindex, attrs.ifindex ?? 0)
      .u32(MapCreate.btfFd, attrs.btf?.value ?? 0)
      .u32(MapCreate.btfKeyTypeId, attrs.btfKeyTypeId ?? 0)
      .u32(MapCreate.btfValueTypeId, attrs.btfValueTypeId ?? 0)
      .u32(MapCreate.btfVmlinuxValueTypeId, attrs.btfVmlinuxValueTypeId ?? 0)
      .u64(MapCreate.mapExtra, attrs.mapExtra ?? 0n);
    const result = bpf(BpfCmd.MAP_CREATE, attr, MapCreate.size);
    if (result < 0) throw syscallError(BpfCmd.MAP_CREATE, -result, attrs.name ? `"${attrs.name}"` : "");
    const fd = this.#own(result, "map", "map");
    this.#maps.remember(fd, mapShape(attrs.mapType, attrs.keySize, attrs.valueSize));
    return fd;
  }

  loadProgram(attrs: ProgLoadAttrs): LoadedProgram {
    this.#checkMemlock();
    return loadProgram(attrs, (fd) => this.#own(fd, "prog"));
  }

  createLink(attrs: LinkCreateAttrs): Fd {
    return this.#own(createLink(attrs), "link");
  }

  mapLookup(map: Fd, key: Uint8Array | null, value: Uint8Array, flags = 0): boolean {
    return this.#maps.lookup(map, key, value, flags);
  }

  mapUpdate(map: Fd, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
    this.#maps.update(map, key, value, flags);
  }

  mapDelete(map: Fd, key: Uint8Array): boolean {
    return this.#maps.delete(map, key);
  }

  mapLookupAndDelete(map: Fd, key: Uint8Array | null, value: Uint8Array, flags = 0): boolean {
    return this.#maps.lookup(map, key, value, flags, BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM);
  }

  mapGetNextKey(map: Fd, key: Uint8Array | null, nextKey: Uint8Array): boolean {
    return this.#maps.getNextKey(map, key, nextKey);
  }

  mapLookupBatch(map: Fd, batch: MapBatchLookup): MapBatchLookupResult {
    return this.#maps.lookupBatch(map, batch, false);
  }

  mapLookupAndDeleteBatch(map: Fd, batch: MapBatchLookup): MapBatchLookupResult {
    return this.#maps.lookupBatch(map, batch, true);
  }

  mapUpdateBatch(map: Fd, batch: MapBatchWrite): number {
    return this.#maps.writeBatch(map, batch, BpfCmd.MAP_UPDATE_BATCH);
  }

  mapDeleteBatch(map: Fd, batch: MapBatchWrite): number {
    return this.#maps.writeBatch(map, batch, BpfCmd.MAP_DELETE_BATCH);
  }

  mapFreeze(map: Fd): void {
    this.#maps.freeze(map);
  }

  mapMemory(map: Fd, size: number, writable = true): MappedMemory {
    const memory = new MapMemory(map.value, size, writable, (m) => this.#mappings.delete(m));
    this.#mappings.add(memory);
    return memory;
  }

  testRun(prog: Fd, attrs: TestRunAttrs): TestRunResult {
    return testRun(prog, attrs);
  }

  pin(fd: Fd, path: string): void {
    objects.pin(fd, path);
  }

  unpin(path: string): void {
    objects.unpin(path);
  }

  getPinned(path: string, flags = 0): Fd {
    const fd = objects.getPinned(path, flags);
    const kind = fdKind(fd);
    return this.#own(fd, kind ?? "pinned object", kind);
  }

  /** What a descriptor refers to ("map", "prog", "link", "btf"), or undefined when it is no bpf object. */
  objectKind(fd: Fd): ObjectKind | undefined {
    let kind = this.#kinds.get(fd);
    if (kind === undefined) {
      kind = fdKind(fd.value);
      if (kind !== undefined) this.#kinds.set(fd, kind);
    }
    return kind;
  }

  nextId(kind: ObjectKind, startId: number): number | null {
    return objects.nextId(kind, startId);
  }

  fdById(kind: ObjectKind, id: number, flags = 0): Fd {
    return this.#own(objects.fdById(kind, id, flags), kind, kind);
  }

  progInfo(prog: Fd): ProgInfo {
    return objects.progInfo(prog);
  }

  mapInfo(map: Fd): MapInfo {
    const info = objects.mapInfo(map);
    // A caller that asks for the info usually works on the elements next (bpftool's map commands): a descriptor
    // known to be a map keeps the shape read here.
    if (this.#kinds.get(map) === "map") this.#maps.remember(map, mapShape(info.type, info.keySize, info.valueSize));
    return info;
  }

  btfInfo(btf: Fd): BtfInfo {
    return objects.btfInfo(btf);
  }

  /** Link info; raw_tracepoint and iter links also get their tracepoint / iterator target `name`. */
  linkInfo(link: Fd): KernelLinkInfo {
    return objects.linkInfo(link);
  }

  /**
   * The raw info struct of a program, map, BTF or link, `size` bytes as this kernel fills them (a size from the
   * kernel's own BTF gets fields newer than this library's layouts).
   */
  infoBytes(fd: Fd, size: number): Uint8Array {
    return objects.infoBytes(fd, size);
  }

  /** What is attached to a cgroup (or netns) fd for one attach type (BPF_PROG_QUERY); throws BpfSyscallError. */
  progQuery(target: number, attachType: number, queryFlags = 0, capacity = 1024): ProgQueryResult {
    return attach.progQuery(target, attachType, queryFlags, capacity);
  }

  /** How many programs a BPF_PROG_QUERY finds, without their ids. */
  progQueryCount(target: number, attachType: number, queryFlags = 0): number {
    return attach.progQueryCount(target, attachType, queryFlags);
  }

  /** BPF_LINK_DETACH: detaches the link's program; the link object stays until its last reference goes. */
  linkUpdate(link: Fd, prog: Fd): void {
    attach.linkUpdate(link, prog);
  }

  linkDetach(link: Fd): void {
    attach.linkDetach(link);
  }

  /** BPF_RAW_TRACEPOINT_OPEN: a raw tracepoint program attached to tracepoint `name` (a link on recent kernels). */
  rawTracepointOpen(prog: Fd, name: string): Fd {
    return this.#own(attach.rawTracepointOpen(prog, name), "raw_tracepoint");
  }

  /** BPF_TASK_FD_QUERY of descriptor `fd` in process `pid`: its program and probe, or minus the errno. */
  taskFdQuery(pid: number, fd: number): TaskFdInfo | number {
    return attach.taskFdQuery(pid, fd);
  }

  progXlatedInsns(prog: Fd): Uint8Array {
    return objects.progXlatedInsns(prog);
  }

  progExtInfo(prog: Fd): ProgExtInfo {
    return objects.progExtInfo(prog);
  }

  /** Native code of a JITed program and its functions' addresses and lengths (jited_ksyms, jited_func_lens). */
  progJitedImage(prog: Fd, withCode = true): objects.ProgJitedImage {
    return objects.progJitedImage(prog, withCode);
  }

  /** BPF_PROG_ATTACH: attaches without a link (sockmap programs, flow dissector, cgroups). */
  progAttach(attrs: ProgAttachAttrs): void {
    progAttach(attrs);
  }

  /** BPF_PROG_DETACH; `prog` undefined where the kernel detaches whatever is attached (flow dissector). */
  progDetach(prog: Fd | undefined, target: Fd | number, attachType: number): void {
    progDetach(prog, target, attachType);
  }

  btfData(btf: Fd): Uint8Array {
    return objects.btfData(btf);
  }

  /**
   * Kernel BTF objects: vmlinux and the loaded modules' BTF (split on vmlinux), found by id iteration. The
   * loader needs them for CO-RE candidates in modules and for kfunc calls into modules (their fds go in
   * `fdArray`). Objects that disappear while listing (module unload) are skipped.
   */
  kernelBtfs(): KernelBtfObject[] {
    const found: KernelBtfObject[] = [];
    for (let id = this.nextId("btf", 0); id !== null; id = this.nextId("btf", id)) {
      let fd: Fd;
      try {
        fd = this.fdById("btf", id);
      } catch (error) {
        if (error instanceof BpfSyscallError && error.code === "ENOENT") continue;
        throw error;
      }
      try {
        const info = objects.btfInfo(fd);
        if (info.kernelBtf) found.push({ id: info.id, name: info.name, size: info.size });
      } finally {
        fd.close();
      }
    }
    return found;
  }

  /** Binds a map to a program so it lives as long as the program (BPF_PROG_BIND_MAP, 5.10). */
  bindMap(prog: Fd, map: Fd): void {
    const attr = new StructBuffer(12);
    attr.u32(0, prog.value).u32(4, map.value);
    const result = bpf(BpfCmd.PROG_BIND_MAP, attr, 12);
    if (result < 0) throw syscallError(BpfCmd.PROG_BIND_MAP, -result);
  }

  /** Descriptors this backend handed out that are still open. */
  get openCount(): number {
    let n = 0;
    for (const ref of this.#open.values()) if (ref.deref()?.closed === false) n++;
    return n;
  }

  close(): void {
    for (const memory of [...this.#mappings]) memory.unmap();
    const errors: unknown[] = [];
    for (const ref of [...this.#open.values()]) {
      try {
        ref.deref()?.close();
      } catch (error) {
        errors.push(error);
      }
    }
    this.#open.clear();
    if (errors.length > 0) throw new KernelBackendError(`closing descriptors failed: ${errors.map(String).join("; ")}`);
  }
}
