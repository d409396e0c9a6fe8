// The loader's Backend, in userspace: `load(spec, new VmBackend())` and `loadCollection(obj, { backend })` create
// VM maps and programs instead of kernel objects, and `testRun` runs a program as BPF_PROG_TEST_RUN would, in
// the interpreter or compiled to WebAssembly. Handles are numbers in the VM's own space, wrapped in the loader's Fd.
// What the VM cannot do yet (links, pins of other types, more map types, batches) is a clear NOT_SUPPORTED.

import {
  type Backend,
  type BtfInfo,
  type BtfLoadAttrs,
  Fd,
  type Features,
  type LinkCreateAttrs,
  type LinkInfo,
  type LoadedBtf,
  type LoadedProgram,
  LoaderError,
  type MapBatchLookup,
  type MapBatchLookupResult,
  type MapBatchWrite,
  type MapCreateAttrs,
  type MapInfo,
  type MappedMemory,
  MODERN_KERNEL_FEATURES,
  type ObjectKind,
  type ProgExtInfo,
  type ProgInfo,
  type ProgLoadAttrs,
  type TestRunAttrs,
  type TestRunResult,
} from "@bpfkit/loader";
import { compiledFor } from "./compiler.js";
import { VmError } from "./errors.js";
import { type HelperEnvironment, MAP_HANDLE, vmHelpers } from "./helpers.js";
import { interpret, type Registers, type RunOptions } from "./interpreter.js";
import { ArrayMap } from "./maps/array.js";
import { HashMap } from "./maps/hash.js";
import type { VmMap } from "./maps/map.js";
import { PerCpuArrayMap } from "./maps/percpu-array.js";
import { RingBufferMap } from "./maps/ring-buffer.js";
import { VmMemory } from "./memory.js";
import { LD_IMM64 } from "./opcodes.js";
import { checkProgram, decodeProgram, type Program } from "./program.js";
import { contextFor } from "./test-run.js";

export type VmEngine = "interpreter" | "compiled";

export interface VmBackendOptions {
  /** Which engine runs programs (default interpreter). */
  readonly engine?: VmEngine;
  /** Instructions one run may execute (default 1,000,000). */
  readonly budget?: number;
  /** Seed of get_prandom_u32. */
  readonly seed?: number;
  /** CPUs of the per-CPU maps (default 1); programs run on CPU 0. */
  readonly cpus?: number;
  /** What get_current_pid_tgid / uid_gid return. */
  readonly process?: { pid: number; tgid: number; uid: number; gid: number };
}

const MapType = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  ARRAY_OF_MAPS: 12,
  RINGBUF: 27,
} as const;
const SUPPORTED_MAP_TYPES = new Set<number>(Object.values(MapType));
const PSEUDO_MAP_FD = 1;
const PSEUDO_MAP_VALUE = 2;
const PSEUDO_MAP_IDX = 5;
const PSEUDO_MAP_IDX_VALUE = 6;

interface VmProgram {
  readonly id: number;
  readonly type: number;
  readonly name: string;
  readonly program: Program;
  readonly xlated: Uint8Array;
  readonly license: string;
  readonly mapIds: number[];
  runs: bigint;
  runTimeNs: bigint;
}

interface VmMapEntry {
  readonly id: number;
  readonly map: VmMap;
  readonly attrs: MapCreateAttrs;
  frozen: boolean;
}

function notSupported(what: string): never {
  throw new LoaderError("NOT_SUPPORTED", `${what} is not supported by the VM backend yet`);
}

export class VmBackend implements Backend {
  readonly name = "vm";
  readonly memory = new VmMemory();
  /** trace_printk output. */
  readonly log: string[] = [];
  private readonly engine: VmEngine;
  private readonly cpus: number;
  private readonly budget: number;
  private nextHandle = 1;
  private readonly maps = new Map<number, VmMapEntry>();
  private readonly programs = new Map<number, VmProgram>();
  private readonly btfs = new Map<number, Uint8Array>();
  private readonly pins = new Map<string, { kind: ObjectKind; handle: number }>();
  private readonly env: HelperEnvironment;
  private readonly helpers;

  constructor(options: VmBackendOptions = {}) {
    this.engine = options.engine ?? "interpreter";
    this.cpus = Math.max(1, options.cpus ?? 1);
    this.budget = options.budget ?? 1_000_000;
    const process = options.process ?? { pid: 1, tgid: 1, uid: 0, gid: 0 };
    this.env = {
      map: (h) => this.maps.get(h)?.map,
      log: this.log,
      ...process,
      random: options.seed ?? 0x2545f491,
      finishRingRecord: (address, discard) =>
        [...this.maps.values()].some((e) => e.map instanceof RingBufferMap && e.map.finish(address, discard)),
    };
    this.helpers = vmHelpers(this.env);
  }

  private handle(label: string, forget: (h: number) => void): Fd {
    return new Fd(this.nextHandle++, forget, label);
  }

  private entry(fd: Fd): VmMapEntry {
    const e = this.maps.get(fd.value);
    if (!e) throw new LoaderError("BAD_MAP", `${fd} is not a VM map`);
    return e;
  }

  private prog(fd: Fd): VmProgram {
    const p = this.programs.get(fd.value);
    if (!p) throw new LoaderError("BAD_PROGRAM", `${fd} is not a VM program`);
    return p;
  }

  features(): Features {
    return {
      ...MODERN_KERNEL_FEATURES,
      progBindMap: false,
      moduleBtf: false,
      fdArray: false,
      bpfCookie: false,
      hasMapType: (type) => SUPPORTED_MAP_TYPES.has(type),
      hasHelper: (_progType, helper) => this.helpers.has(helper),
    };
  }

  loadBtf(attrs: BtfLoadAttrs): LoadedBtf {
    const fd = this.handle("btf", (h) => this.btfs.delete(h));
    this.btfs.set(fd.value, attrs.btf.slice());
    return { fd, log: [] };
  }

  createMap(attrs: MapCreateAttrs): Fd {
    const name = attrs.name ?? "";
    const args = [attrs.mapType, attrs.keySize, attrs.valueSize, attrs.maxEntries, attrs.flags ?? 0, name] as const;
    let map: VmMap;
    switch (attrs.mapType) {
      case MapType.ARRAY:
      case MapType.PROG_ARRAY: // program handles (u32), read by bpf_tail_call
      case MapType.ARRAY_OF_MAPS: // inner map handles (u32), returned by lookups as map references
        map = new ArrayMap(this.memory, ...args);
        break;
      case MapType.HASH:
      case MapType.LRU_HASH:
        map = new HashMap(this.memory, attrs.mapType === MapType.LRU_HASH, ...args);
        break;
      case MapType.PERCPU_ARRAY:
        map = new PerCpuArrayMap(this.memory, this.cpus, ...args);
        break;
      case MapType.RINGBUF:
        map = new RingBufferMap(this.memory, ...args);
        break;
      default:
        notSupported(`map type ${attrs.mapType} (map '${name}')`);
    }
    const fd = this.handle("map", (h) => this.maps.delete(h));
    this.maps.set(fd.value, { id: fd.value, map, attrs, frozen: false });
    return fd;
  }

  loadProgram(attrs: ProgLoadAttrs): LoadedProgram {
    const insns = attrs.insns.slice();
    const view = new DataView(insns.buffer);
    const mapIds: number[] = [];
    // Map references become values the VM understands: a map handle, or the address of a map value.
    for (let at = 0; at + 16 <= insns.length; at += 8) {
      if (insns[at] !== LD_IMM64) continue;
      const src = insns[at + 1]! >>> 4;
      if (src === 0) {
        at += 8;
        continue;
      }
      const ref = view.getInt32(at + 4, true);
      const handle = src === PSEUDO_MAP_IDX || src === PSEUDO_MAP_IDX_VALUE ? attrs.fdArray?.[ref]?.value : ref;
      const entry = handle === undefined ? undefined : this.maps.get(handle);
      if (!entry) {
        throw new VmError("BAD_PROGRAM", `LD_IMM64 source ${src} names no VM map (${ref})`, { pc: at / 8 });
      }
      if (!mapIds.includes(entry.id)) mapIds.push(entry.id);
      let value: bigint;
      if (src === PSEUDO_MAP_FD || src === PSEUDO_MAP_IDX) value = (BigInt(MAP_HANDLE) << 32n) | BigInt(entry.id);
      else if (src === PSEUDO_MAP_VALUE || src === PSEUDO_MAP_IDX_VALUE) {
        const base = entry.map.lookup(new Uint8Array(4));
        if (base === undefined) throw new VmError("BAD_PROGRAM", `map '${entry.map.name}' has no value 0`);
        value = BigInt(base + view.getUint32(at + 12, true));
      } else {
        throw new VmError("BAD_PROGRAM", `LD_IMM64 source ${src} is not supported by the VM`, { pc: at / 8 });
      }
      insns[at + 1] = insns[at + 1]! & 0x0f;
      view.setUint32(at + 4, Number(value & 0xffffffffn), true);
      view.setUint32(at + 12, Number(value >> 32n), true);
      at += 8;
    }
    const program = decodeProgram(insns);
    checkProgram(program, { knownHelper: (id) => this.helpers.has(id) });
    const fd = this.handle("prog", (h) => this.programs.delete(h));
    this.programs.set(fd.value, {
      id: fd.value,
      type: attrs.progType,
      name: attrs.name ?? "",
      program,
      xlated: insns,
      license: attrs.license,
      mapIds,
      runs: 0n,
      runTimeNs: 0n,
    });
    return { fd, log: [] };
  }

  createLink(_attrs: LinkCreateAttrs): Fd {
    return notSupported("attaching (links)");
  }

  mapLookup(map: Fd, key: Uint8Array | null, value: Uint8Array): boolean {
    const { map: m } = this.entry(map);
    const at = m.lookup(key ?? new Uint8Array(0));
    if (at === undefined) return false;
    if (m instanceof PerCpuArrayMap) {
      const all = m.allCpus(key!)!;
      value.set(all.subarray(0, Math.min(all.length, value.length)));
      return true;
    }
    const bytes = m.value(at);
    // Prog arrays and map-in-map arrays answer with ids, and an empty slot is not an entry (as the kernel's).
    const ofIds = m.type === MapType.PROG_ARRAY || m.type === MapType.ARRAY_OF_MAPS;
    if (ofIds && bytes.every((b) => b === 0)) return false;
    value.set(bytes);
    return true;
  }

  mapUpdate(map: Fd, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
    const e = this.entry(map);
    if (e.frozen) throw new VmError("MAP", `map '${e.map.name}' is frozen`);
    const errno = e.map.update(key ?? new Uint8Array(0), value, flags);
    if (errno) throw new VmError("MAP", `map '${e.map.name}' update: errno ${errno}`);
  }

  mapDelete(map: Fd, key: Uint8Array): boolean {
    return this.entry(map).map.delete(key) === 0;
  }

  mapLookupAndDelete(): boolean {
    return notSupported("lookup-and-delete");
  }

  mapGetNextKey(map: Fd, key: Uint8Array | null, nextKey: Uint8Array): boolean {
    const { map: m } = this.entry(map);
    if (m instanceof RingBufferMap) throw new VmError("MAP", `ring buffer '${m.name}' has no keys (EINVAL)`);
    const next = m.nextKey(key);
    if (!next) return false;
    nextKey.set(next);
    return true;
  }

  mapLookupBatch(_map: Fd, _batch: MapBatchLookup): MapBatchLookupResult {
    return notSupported("batch lookups");
  }
  mapLookupAndDeleteBatch(_map: Fd, _batch: MapBatchLookup): MapBatchLookupResult {
    return notSupported("batch lookups");
  }
  mapUpdateBatch(_map: Fd, _batch: MapBatchWrite): number {
    return notSupported("batch updates");
  }
  mapDeleteBatch(_map: Fd, _batch: MapBatchWrite): number {
    return notSupported("batch deletes");
  }

  mapFreeze(map: Fd): void {
    this.entry(map).frozen = true;
  }

  mapMemory(map: Fd, size: number): MappedMemory {
    const { map: m } = this.entry(map);
    const at = m.lookup(new Uint8Array(4));
    if (at === undefined || !(m instanceof ArrayMap)) return notSupported(`mapping map '${m.name}'`);
    const region = m.region;
    let closed = false;
    const memory = this.memory;
    return {
      get bytes() {
        return memory.bytes.subarray(region.offset, region.offset + size);
      },
      get closed() {
        return closed;
      },
      unmap() {
        closed = true;
      },
      [Symbol.dispose]() {
        closed = true;
      },
    };
  }

  testRun(prog: Fd, attrs: TestRunAttrs): TestRunResult {
    const p = this.prog(prog);
    const repeat = Math.max(1, attrs.repeat ?? 1);
    // One context for all runs: as in the kernel, the runs share the packet (a change made by one is seen by
    // the next), and the repeat loop runs inside the engine.
    const ctx = contextFor(p.type, this.memory, attrs);
    const options: RunOptions = {
      memory: this.memory,
      registers: { 1: BigInt(ctx.address) },
      helpers: this.helpers,
      budget: this.budget,
      repeat,
      tailCall: (regs) => this.tailCallTarget(regs),
    };
    const started = performance.now();
    let value: bigint;
    if (this.engine === "compiled") {
      value = compiledFor(p.program).run(options).value;
    } else {
      value = interpret(p.program, options).value;
    }
    const elapsed = (performance.now() - started) * 1e6;
    p.runs += BigInt(repeat);
    p.runTimeNs += BigInt(Math.round(elapsed));
    return {
      retval: Number(value & 0xffffffffn),
      duration: Math.round(elapsed / repeat),
      dataOut: ctx.dataOut(),
      ctxOut: new Uint8Array(0),
    };
  }

  /** The records the programs committed to ring buffer `map`, in order, taken out of it (the host consumer). */
  ringBufferRecords(map: Fd): Uint8Array[] {
    const { map: m } = this.entry(map);
    if (!(m instanceof RingBufferMap)) throw new VmError("MAP", `map '${m.name}' is not a ring buffer`);
    return m.consume();
  }

  /** bpf_tail_call(ctx, r2 = prog array, r3 = index): the program in that slot, if any. */
  private tailCallTarget(regs: Registers): Program | undefined {
    if (regs.hi[2] !== MAP_HANDLE) return undefined;
    const entry = this.maps.get(regs.lo[2]!);
    if (!entry || entry.map.type !== MapType.PROG_ARRAY) return undefined;
    const at = entry.map.lookup(new Uint8Array(new Uint32Array([regs.lo[3]!]).buffer));
    if (at === undefined) return undefined;
    const slot = entry.map.value(at);
    const handle = slot[0]! | (slot[1]! << 8) | (slot[2]! << 16) | (slot[3]! << 24);
    return handle === 0 ? undefined : this.programs.get(handle)?.program;
  }

  pin(fd: Fd, path: string): void {
    const kind: ObjectKind = this.maps.has(fd.value) ? "map" : this.programs.has(fd.value) ? "prog" : "btf";
    this.pins.set(path, { kind, handle: fd.value });
  }

  unpin(path: string): void {
    this.pins.delete(path);
  }

  getPinned(path: string): Fd {
    const pin = this.pins.get(path);
    if (!pin) throw new VmError("MAP", `nothing is pinned at ${path} in the VM`);
    return new Fd(pin.handle, () => {}, pin.kind);
  }

  nextId(kind: ObjectKind, startId: number): number | null {
    const ids = [...(kind === "map" ? this.maps.keys() : kind === "prog" ? this.programs.keys() : this.btfs.keys())];
    return ids.filter((id) => id > startId).sort((a, b) => a - b)[0] ?? null;
  }

  fdById(kind: ObjectKind, id: number): Fd {
    return new Fd(id, () => {}, kind);
  }

  progInfo(prog: Fd): ProgInfo {
    const p = this.prog(prog);
    return {
      type: p.type,
      id: p.id,
      tag: "0000000000000000",
      name: p.name.slice(0, 15),
      jitedProgLen: 0,
      xlatedProgLen: p.xlated.length,
      loadTime: 0n,
      createdByUid: 0,
      mapIds: p.mapIds,
      ifindex: 0,
      gplCompatible: /^(GPL|GPL v2|GPL and additional rights|Dual BSD\/GPL|Dual MIT\/GPL|Dual MPL\/GPL)$/.test(
        p.license,
      ),
      netnsDev: 0n,
      netnsIno: 0n,
      btfId: 0,
      nrFuncInfo: 0,
      nrLineInfo: 0,
      runTimeNs: p.runTimeNs,
      runCnt: p.runs,
      recursionMisses: 0n,
      verifiedInsns: p.program.length,
      attachBtfObjId: 0,
      attachBtfId: 0,
    } as ProgInfo;
  }

  mapInfo(map: Fd): MapInfo {
    const { id, map: m, attrs } = this.entry(map);
    return {
      type: m.type,
      id,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: m.flags,
      name: m.name.slice(0, 15),
      ifindex: 0,
      btfVmlinuxValueTypeId: 0,
      netnsDev: 0n,
      netnsIno: 0n,
      btfId: attrs.btf?.value ?? 0,
      btfKeyTypeId: attrs.btfKeyTypeId ?? 0,
      btfValueTypeId: attrs.btfValueTypeId ?? 0,
      mapExtra: attrs.mapExtra ?? 0n,
    };
  }

  btfInfo(_btf: Fd): BtfInfo {
    return notSupported("BTF info");
  }

  linkInfo(_link: Fd): LinkInfo {
    return notSupported("links");
  }

  progXlatedInsns(prog: Fd): Uint8Array {
    return this.prog(prog).xlated.slice();
  }

  progExtInfo(_prog: Fd): ProgExtInfo {
    return notSupported("func/line info of loaded programs");
  }

  btfData(btf: Fd): Uint8Array {
    const data = this.btfs.get(btf.value);
    if (!data) throw new LoaderError("BAD_BTF", `${btf} is not a VM BTF object`);
    return data.slice();
  }

  close(): void {
    this.maps.clear();
    this.programs.clear();
    this.btfs.clear();
  }
}
