// The loader's Backend, in userspace: `load(spec, new VmBackend())` and `loadCollection(obj, { backend })` create
// VM maps and programs instead of kernel objects, and `testRun` runs a program as BPF_PROG_TEST_RUN would, in
// the interpreter or compiled to WebAssembly. Handles are numbers in the VM's own space, wrapped in the loader's Fd.
// Programs attach to named hooks (attachHook, through program.attach() and attachAll()) and run when the host fires
// one (trigger: hooks.ts). What the VM cannot do yet (kernel links, more map types) is a clear NOT_SUPPORTED.

import { helperName, MapType, ProgType, PseudoCall, PseudoLd } from "@bpfkit/asm";
import {
  type Backend,
  type BtfInfo,
  type BtfLoadAttrs,
  canonicalHook,
  type ExtInfo,
  Fd,
  type Features,
  formatSourceLine,
  type InsnSourceLine,
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
  sourceLineFor,
  type TestRunAttrs,
  type TestRunResult,
} from "@bpfkit/loader";
import { compiledFor } from "./compiler.js";
import { VmError } from "./errors.js";
import { type HelperEnvironment, MAP_HANDLE, type ProbeMemory, vmHelpers } from "./helpers.js";
import { contextBytes, HookTable, type TriggerContext, type VmLink } from "./hooks.js";
import { FUNC_HANDLE, interpret, type Registers, type RunOptions } from "./interpreter.js";
import { batchTarget, deleteBatch, lookupBatch, updateBatch } from "./map-batch.js";
import { ArrayMap } from "./maps/array.js";
import { BloomFilterMap } from "./maps/bloom-filter.js";
import { HashMap } from "./maps/hash.js";
import { LpmTrieMap } from "./maps/lpm-trie.js";
import { Errno, isPerCpu, isValueMap, u32At, u32Bytes, type VmMap } from "./maps/map.js";
import { PerCpuArrayMap } from "./maps/percpu-array.js";
import { PerfEventArrayMap, type PerfRecord } from "./maps/perf-event-array.js";
import { QueueStackMap } from "./maps/queue-stack.js";
import { RingBufferMap } from "./maps/ring-buffer.js";
import { type Region, VmMemory } from "./memory.js";
import { CLS_JMP, JMP_CALL, LD_IMM64 } from "./opcodes.js";
import { progTag } from "./prog-tag.js";
import { type ArrayLayout, checkProgram, decodeProgram, type Program } from "./program.js";
import { contextFor, type PacketFrame } from "./test-run.js";

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
  /** What get_current_pid_tgid / uid_gid / comm return. */
  readonly process?: { pid: number; tgid: number; uid: number; gid: number; comm?: string };
  /** Memory outside the VM that probe_read_kernel/user may read (nothing by default: they fail with EFAULT). */
  readonly probe?: ProbeMemory;
  /** What progInfo reports as a program's load time, in ns since boot (default 0: the VM has no clock of its own). */
  readonly clock?: () => bigint;
  /** What progInfo reports as the loading user (default 0). */
  readonly uid?: number;
}

const SUPPORTED_MAP_TYPES = new Set<number>([
  MapType.HASH,
  MapType.ARRAY,
  MapType.PROG_ARRAY,
  MapType.PERF_EVENT_ARRAY,
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
  MapType.LPM_TRIE,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  MapType.DEVMAP,
  MapType.QUEUE,
  MapType.STACK,
  MapType.DEVMAP_HASH,
  MapType.RINGBUF,
  MapType.BLOOM_FILTER,
]);
const {
  MAP_FD: PSEUDO_MAP_FD,
  MAP_VALUE: PSEUDO_MAP_VALUE,
  BTF_ID: PSEUDO_BTF_ID,
  FUNC: PSEUDO_FUNC,
  MAP_IDX: PSEUDO_MAP_IDX,
  MAP_IDX_VALUE: PSEUDO_MAP_IDX_VALUE,
} = PseudoLd;
const CALL = CLS_JMP | JMP_CALL;

interface VmProgram {
  readonly id: number;
  readonly type: number;
  readonly name: string;
  readonly program: Program;
  readonly xlated: Uint8Array;
  /** What BPF_PROG_LOAD received: the instructions (the tag hashes them), func_info, line_info, fd_array. */
  readonly load: ProgLoadAttrs;
  readonly loadTime: bigint;
  readonly license: string;
  /** Maps the instructions use, then maps bound with bindMap (the kernel's used_maps). */
  readonly mapIds: number[];
  /** Decoded line_info (through loadCollection), to name the C line of a fault. */
  readonly sourceLines: readonly InsnSourceLine[] | undefined;
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

  get possibleCpus(): number {
    return this.cpus;
  }
  readonly memory = new VmMemory();
  /** trace_printk output. */
  readonly log: string[] = [];
  /** What bpf_redirect and bpf_redirect_map asked for, in order (a test run only returns the action). */
  readonly redirects: { ifindex: number; flags: number; map?: string; key?: number }[] = [];
  private readonly engine: VmEngine;
  private readonly cpus: number;
  private readonly budget: number;
  private readonly clock: () => bigint;
  private readonly uid: number;
  private nextHandle = 1;
  /** Whether the run in progress tail-called (its faults may then be in another program). */
  private tailCalled = false;
  private readonly maps = new Map<number, VmMapEntry>();
  private readonly programs = new Map<number, VmProgram>();
  private readonly btfs = new Map<number, Uint8Array>();
  private readonly pins = new Map<string, { kind: ObjectKind; handle: number }>();
  /** Attachments (attachHook) and the hooks they wait on (trigger). */
  private readonly hookTable = new HookTable<VmProgram>();
  /** trigger()'s context regions, by size and writability. */
  private readonly triggerRegions = new Map<string, Region>();
  private readonly env: HelperEnvironment;
  private readonly helpers;

  constructor(options: VmBackendOptions = {}) {
    this.engine = options.engine ?? "interpreter";
    this.clock = options.clock ?? (() => 0n);
    this.uid = options.uid ?? 0;
    this.cpus = Math.max(1, options.cpus ?? 1);
    this.budget = options.budget ?? 1_000_000;
    this.env = {
      map: (h) => this.maps.get(h)?.map,
      log: this.log,
      process: { pid: 1, tgid: 1, uid: 0, gid: 0, comm: "bpfkit-vm", ...options.process },
      random: options.seed ?? 0x2545f491,
      finishRingRecord: (address, discard) =>
        [...this.maps.values()].some((e) => e.map instanceof RingBufferMap && e.map.finish(address, discard)),
      probe: options.probe,
      programType: 0,
      packetFrame: undefined,
      redirects: this.redirects,
      attachCookie: 0n,
    };
    this.helpers = vmHelpers(this.env);
  }

  /** Handles given out and not closed yet: close() closes them (their finalizers would keep this VM alive). */
  private readonly handles = new Map<number, WeakRef<Fd>>();

  private handle(label: string, forget: (h: number) => void): Fd {
    const fd = new Fd(
      this.nextHandle++,
      (h) => {
        this.handles.delete(h);
        forget(h);
      },
      label,
    );
    this.handles.set(fd.value, new WeakRef(fd));
    return fd;
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
      progBindMap: true,
      moduleBtf: false,
      fdArray: false,
      bpfCookie: true,
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
    const map = this.newMap(attrs);
    const fd = this.handle("map", (h) => this.maps.delete(h));
    this.maps.set(fd.value, { id: fd.value, map, attrs, frozen: false });
    return fd;
  }

  private newMap(attrs: MapCreateAttrs): VmMap {
    const name = attrs.name ?? "";
    const { mapType: type, keySize, valueSize, maxEntries } = attrs;
    const flags = attrs.flags ?? 0;
    const args = [type, keySize, valueSize, maxEntries, flags, name] as const;
    const invalid = (why: string): never => {
      throw new VmError("MAP", `map '${name}': ${why} (EINVAL)`, { errno: Errno.EINVAL });
    };
    if (maxEntries === 0 && type !== MapType.PERF_EVENT_ARRAY) invalid("max_entries is 0");
    switch (type) {
      case MapType.ARRAY:
      case MapType.PROG_ARRAY: // program handles (u32), read by bpf_tail_call
      case MapType.ARRAY_OF_MAPS: // inner map handles (u32), returned by lookups as map references
      case MapType.DEVMAP: // ifindexes, read by bpf_redirect_map
        if (keySize !== 4) invalid("an array's key is 4 bytes");
        return new ArrayMap(this.memory, ...args);
      case MapType.PERCPU_ARRAY:
        if (keySize !== 4) invalid("an array's key is 4 bytes");
        return new PerCpuArrayMap(this.memory, this.cpus, ...args);
      case MapType.HASH:
      case MapType.LRU_HASH:
      case MapType.PERCPU_HASH:
      case MapType.LRU_PERCPU_HASH:
      case MapType.HASH_OF_MAPS:
      case MapType.DEVMAP_HASH: {
        if (keySize === 0 || valueSize === 0) invalid("a hash map needs a key and a value");
        const lru = type === MapType.LRU_HASH || type === MapType.LRU_PERCPU_HASH;
        const perCpu = type === MapType.PERCPU_HASH || type === MapType.LRU_PERCPU_HASH;
        return new HashMap(this.memory, { lru, cpus: perCpu ? this.cpus : 1 }, ...args);
      }
      case MapType.LPM_TRIE:
        if (keySize <= 4 || keySize > 4 + 256 || valueSize === 0) invalid("an LPM trie key is 5 to 260 bytes");
        return new LpmTrieMap(this.memory, ...args);
      case MapType.QUEUE:
      case MapType.STACK:
        if (keySize !== 0 || valueSize === 0) invalid("a queue or stack has no key and a value");
        return new QueueStackMap(this.memory, type === MapType.STACK, type, valueSize, maxEntries, flags, name);
      case MapType.BLOOM_FILTER:
        if (keySize !== 0 || valueSize === 0) invalid("a bloom filter has no key and a value");
        return new BloomFilterMap(type, valueSize, maxEntries, flags, name, Number(attrs.mapExtra ?? 0n));
      case MapType.PERF_EVENT_ARRAY:
        return new PerfEventArrayMap(...args);
      case MapType.RINGBUF:
        return new RingBufferMap(this.memory, ...args);
      default:
        return notSupported(`map type ${type} (map '${name}')`);
    }
  }

  loadProgram(attrs: ProgLoadAttrs): LoadedProgram {
    const insns = attrs.insns.slice();
    const view = new DataView(insns.buffer);
    const mapIds: number[] = [];
    const callbackStarts: number[] = [];
    const arrayMaps = new Map<number, ArrayLayout>();
    for (let at = 0; at + 8 <= insns.length; at += 8) {
      if (insns[at] === CALL && insns[at + 1]! >> 4 === PseudoCall.KFUNC_CALL) {
        throw new VmError("BAD_PROGRAM", "a kernel function call (kfunc) is not available in the VM", { pc: at / 8 });
      }
    }
    // Map references become values the VM understands: a map handle, or the address of a map value; callback
    // addresses (libbpf's BPF_PSEUDO_FUNC, imm relative to the next instruction) a function reference.
    for (let at = 0; at + 16 <= insns.length; at += 8) {
      if (insns[at] !== LD_IMM64) continue;
      const src = insns[at + 1]! >>> 4;
      if (src === 0) {
        at += 8;
        continue;
      }
      const ref = view.getInt32(at + 4, true);
      if (src === PSEUDO_BTF_ID) {
        throw new VmError("BAD_PROGRAM", "a kernel variable (ksym) is not available in the VM", { pc: at / 8 });
      }
      if (src === PSEUDO_FUNC) {
        const target = at / 8 + ref + 1;
        if (!callbackStarts.includes(target)) callbackStarts.push(target);
        insns[at + 1] = insns[at + 1]! & 0x0f;
        view.setUint32(at + 4, target, true);
        view.setUint32(at + 12, FUNC_HANDLE, true);
        at += 8;
        continue;
      }
      const handle = src === PSEUDO_MAP_IDX || src === PSEUDO_MAP_IDX_VALUE ? attrs.fdArray?.[ref]?.value : ref;
      const entry = handle === undefined ? undefined : this.maps.get(handle);
      if (!entry) {
        throw new VmError("BAD_PROGRAM", `LD_IMM64 source ${src} names no VM map (${ref})`, { pc: at / 8 });
      }
      if (!mapIds.includes(entry.id)) mapIds.push(entry.id);
      if (entry.map.type === MapType.ARRAY && entry.map instanceof ArrayMap) arrayMaps.set(entry.id, entry.map.layout);
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
    const program: Program = { ...decodeProgram(insns), callbackStarts, arrayMaps };
    try {
      checkProgram(program, { knownHelper: (id) => this.helpers.has(id), helperName });
    } catch (error) {
      // A refusal names its instruction; with line_info, its C line too.
      const line = error instanceof VmError ? sourceLineFor(attrs.sourceLines, error.pc) : undefined;
      throw line && error instanceof VmError ? error.withLine(formatSourceLine(line)) : error;
    }
    const fd = this.handle("prog", (h) => this.programs.delete(h));
    this.programs.set(fd.value, {
      id: fd.value,
      type: attrs.progType,
      name: attrs.name ?? "",
      program,
      xlated: insns,
      load: { ...attrs, insns: attrs.insns.slice() },
      loadTime: this.clock(),
      license: attrs.license,
      mapIds,
      sourceLines: attrs.sourceLines,
      runs: 0n,
      runTimeNs: 0n,
    });
    return { fd, log: [] };
  }

  createLink(_attrs: LinkCreateAttrs): Fd {
    return notSupported("BPF_LINK_CREATE (attach to a named hook: program.attach() or attachHook)");
  }

  /**
   * Attaches `prog` to `hook` (canonicalised: `tp/a/b` is `tracepoint/a/b`); trigger(hook) runs it. The program
   * type must fit the hook (a kprobe program on `kprobe/...`, an XDP program on `xdp/IFINDEX`, ...). Closing the
   * returned handle detaches, unless the link is pinned.
   */
  attachHook(prog: Fd, hook: string, cookie = 0n): Fd {
    const program = this.prog(prog);
    const name = canonicalHook(hook);
    const linkType = this.hookTable.check(name, program.type, program.name);
    const fd = this.handle("link", (h) => {
      const link = this.hookTable.links.get(h);
      if (!link) return;
      link.open = false;
      this.hookTable.release(link);
    });
    const link = {
      id: fd.value,
      hook: name,
      program,
      cookie,
      linkType,
      attached: true,
      open: true,
      pins: new Set<string>(),
    };
    this.hookTable.add(link);
    return fd;
  }

  /**
   * Fires `hook` as the kernel would on its event: every program attached to it runs, in attach order, on a copy of
   * `ctx` (see TriggerContext: a tracepoint's record bytes, a raw tracepoint's `{ args }`, a probe's `{ regs }` or
   * `{ args }` as a pt_regs, a packet for XDP, tc and cgroup_skb hooks; none: zeros). bpf_get_attach_cookie gives
   * each its link's cookie. Returns each program's r0 (the low 32 bits, as the kernel reads it), in that order.
   */
  trigger(hook: string, ctx?: TriggerContext): number[] {
    const name = canonicalHook(hook);
    return this.hookTable.attachedTo(name).map((link) => this.fire(name, link, ctx));
  }

  private fire(hook: string, link: VmLink<VmProgram>, ctx: TriggerContext | undefined): number {
    const p = link.program;
    const input = contextBytes(hook, p.type, ctx);
    let address: number;
    let packet: Uint8Array | undefined;
    let frame: PacketFrame | undefined;
    if ("packet" in input) {
      const run = contextFor(p.type, this.memory, { dataIn: input.packet });
      address = run.address;
      packet = run.packet;
      frame = run.frame;
    } else {
      const region = this.triggerRegion(input.ctx.length, p.type === ProgType.RAW_TRACEPOINT_WRITABLE);
      this.memory.bytes.set(input.ctx, region.offset);
      address = region.start;
    }
    this.env.programType = p.type;
    this.env.packetFrame = frame;
    this.env.attachCookie = link.cookie;
    try {
      return Number(this.execute(p, { 1: BigInt(address) }, packet).value & 0xffffffffn);
    } finally {
      this.env.attachCookie = 0n;
    }
  }

  /** A context region of `size` bytes for trigger(), reused (VM memory is never freed). */
  private triggerRegion(size: number, writable: boolean): Region {
    const key = `${size}${writable ? "w" : "r"}`;
    let region = this.triggerRegions.get(key);
    if (!region) {
      region = this.memory.allocate("hook context", size, writable);
      this.triggerRegions.set(key, region);
    }
    return region;
  }

  /** One run of `p` from `registers`, counted in its run statistics; a fault names its C line when known. */
  /**
   * Runs `p` `repeat` times (one context, the loop inside the engine) with the given registers; counts the runs and
   * their time in its info. A fault names its instruction and, with line_info, the C line (a tail-called program's
   * instructions are not the caller's: only faults of the program run are annotated). Gives r0 and the ns taken.
   */
  private execute(
    p: VmProgram,
    registers: Record<number, bigint>,
    packet?: Uint8Array,
    repeat = 1,
  ): { value: bigint; elapsedNs: number } {
    const options: RunOptions = {
      memory: this.memory,
      registers,
      packet,
      helpers: this.helpers,
      budget: this.budget,
      repeat,
      tailCall: (regs) => this.tailCallTarget(regs),
    };
    const started = performance.now();
    let value: bigint;
    this.tailCalled = false;
    try {
      value =
        this.engine === "compiled" ? compiledFor(p.program).run(options).value : interpret(p.program, options).value;
    } catch (error) {
      const line = error instanceof VmError && !error.line ? sourceLineFor(p.sourceLines, error.pc) : undefined;
      if (line && error instanceof VmError && !this.tailCalled) throw error.withLine(formatSourceLine(line));
      throw error;
    }
    const elapsedNs = (performance.now() - started) * 1e6;
    p.runs += BigInt(repeat);
    p.runTimeNs += BigInt(Math.round(elapsedNs));
    return { value, elapsedNs };
  }

  private link(fd: Fd): VmLink<VmProgram> {
    const link = this.hookTable.links.get(fd.value);
    if (!link) throw new VmError("HOOK", `${fd} is not a VM link`);
    return link;
  }

  /** BPF_LINK_UPDATE: the link runs `prog` from now on (of the same type). */
  linkUpdate(link: Fd, prog: Fd): void {
    const l = this.link(link);
    const program = this.prog(prog);
    if (program.type !== l.program.type) {
      throw new VmError("HOOK", `link ${l.id}: prog '${program.name}' is not of the linked program's type (EINVAL)`, {
        errno: 22,
      });
    }
    l.program = program;
  }

  /** BPF_LINK_DETACH: the program leaves the hook; the link lives on until closed and unpinned. */
  linkDetach(link: Fd): void {
    this.link(link).attached = false;
  }

  mapLookup(map: Fd, key: Uint8Array | null, value: Uint8Array): boolean {
    const { map: m } = this.entry(map);
    // Queues and stacks answer their next value; a bloom filter whether the given value may be in it.
    if (isValueMap(m)) return this.errno(m, "lookup", m.peek(value), [Errno.ENOENT]);
    // Perf event slots hold events user space cannot read back; a ring buffer has no elements.
    if (m instanceof PerfEventArrayMap || m instanceof RingBufferMap) return this.errno(m, "lookup", Errno.ENOTSUPP);
    const k = key ?? new Uint8Array(0);
    if (isPerCpu(m)) {
      const all = m.allCpus(k);
      if (!all) return false;
      value.set(all.subarray(0, Math.min(all.length, value.length)));
      return true;
    }
    const at = m.lookup(k);
    if (at === undefined) return false;
    const bytes = m.value(at);
    // Prog arrays and map-in-map arrays answer with ids, and an empty slot is not an entry (as the kernel's).
    const ofIds = m.type === MapType.PROG_ARRAY || m.type === MapType.ARRAY_OF_MAPS;
    if (ofIds && bytes.every((b) => b === 0)) return false;
    value.set(bytes);
    return true;
  }

  /** true for 0, false for an errno in `quiet`, else the errno as a VmError. */
  private errno(m: VmMap, what: string, errno: number, quiet: number[] = []): boolean {
    if (errno === 0) return true;
    if (quiet.includes(errno)) return false;
    const name = Object.entries(Errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
    throw new VmError("MAP", `map '${m.name}' ${what}: ${name}`, { errno });
  }

  mapUpdate(map: Fd, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
    const e = this.entry(map);
    if (e.frozen) this.errno(e.map, "update (frozen)", Errno.EPERM);
    this.errno(e.map, "update", e.map.update(key ?? new Uint8Array(0), value, flags));
  }

  mapDelete(map: Fd, key: Uint8Array): boolean {
    const { map: m } = this.entry(map);
    return this.errno(m, "delete", m.delete(key), [Errno.ENOENT]);
  }

  mapLookupAndDelete(map: Fd, key: Uint8Array | null, value: Uint8Array): boolean {
    const e = this.entry(map);
    const m = e.map;
    if (e.frozen) this.errno(m, "lookup and delete (frozen)", Errno.EPERM);
    if (isValueMap(m)) return this.errno(m, "lookup and delete", m.pop(value), [Errno.ENOENT]);
    if (!(m instanceof HashMap)) return this.errno(m, "lookup and delete", Errno.EINVAL);
    if (!this.mapLookup(map, key, value)) return false;
    return this.mapDelete(map, key!);
  }

  mapGetNextKey(map: Fd, key: Uint8Array | null, nextKey: Uint8Array): boolean {
    const { map: m } = this.entry(map);
    // The kernel's answers for maps without keys: a queue or stack EINVAL, a bloom filter EOPNOTSUPP, a ring
    // buffer ENOTSUPP. A perf event array's slots are walked as an array's.
    if (m instanceof RingBufferMap) return this.errno(m, "get_next_key", Errno.ENOTSUPP);
    if (m.type === MapType.BLOOM_FILTER) return this.errno(m, "get_next_key", Errno.EOPNOTSUPP);
    if (isValueMap(m)) return this.errno(m, "get_next_key", Errno.EINVAL);
    if (m instanceof PerfEventArrayMap) {
      const index = key === null ? m.maxEntries : u32At(key);
      const next = index >= m.maxEntries ? 0 : index + 1;
      if (next >= m.maxEntries) return false;
      nextKey.set(u32Bytes(next));
      return true;
    }
    const next = m.nextKey(key);
    if (!next) return false;
    nextKey.set(next);
    return true;
  }

  mapLookupBatch(map: Fd, batch: MapBatchLookup): MapBatchLookupResult {
    const target = batchTarget(this.entry(map), this.cpus, (k, v) => this.mapLookup(map, k, v));
    return lookupBatch(target, batch, false);
  }
  mapLookupAndDeleteBatch(map: Fd, batch: MapBatchLookup): MapBatchLookupResult {
    const target = batchTarget(this.entry(map), this.cpus, (k, v) => this.mapLookup(map, k, v));
    return lookupBatch(target, batch, true);
  }
  mapUpdateBatch(map: Fd, batch: MapBatchWrite): number {
    const target = batchTarget(this.entry(map), this.cpus, (k, v) => this.mapLookup(map, k, v));
    return updateBatch(target, batch);
  }
  mapDeleteBatch(map: Fd, batch: MapBatchWrite): number {
    const target = batchTarget(this.entry(map), this.cpus, (k, v) => this.mapLookup(map, k, v));
    return deleteBatch(target, batch);
  }

  mapFreeze(map: Fd): void {
    const e = this.entry(map);
    if (e.frozen) this.errno(e.map, "freeze (frozen already)", Errno.EPERM);
    e.frozen = true;
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
    this.env.programType = p.type;
    this.env.packetFrame = ctx.frame;
    const { value, elapsedNs } = this.execute(p, { 1: BigInt(ctx.address) }, ctx.packet, repeat);
    return {
      retval: Number(value & 0xffffffffn),
      duration: Math.round(elapsedNs / repeat),
      dataOut: ctx.dataOut(),
      ctxOut: attrs.ctxSizeOut && ctx.ctxOut ? ctx.ctxOut().subarray(0, attrs.ctxSizeOut) : new Uint8Array(0),
    };
  }

  /** The records the programs committed to ring buffer `map`, in order, taken out of it (the host consumer). */
  ringBufferRecords(map: Fd): Uint8Array[] {
    const { map: m } = this.entry(map);
    if (!(m instanceof RingBufferMap)) throw new VmError("MAP", `map '${m.name}' is not a ring buffer`);
    return m.consume();
  }

  /** What programs output to perf event array `map`, oldest first, taken out of it (the host reader). */
  perfEventRecords(map: Fd): PerfRecord[] {
    const { map: m } = this.entry(map);
    if (!(m instanceof PerfEventArrayMap)) throw new VmError("MAP", `map '${m.name}' is not a perf event array`);
    return m.consume();
  }

  /** bpf_tail_call(ctx, r2 = prog array, r3 = index): the program in that slot, if any. */
  private tailCallTarget(regs: Registers): Program | undefined {
    if (regs.hi[2] !== MAP_HANDLE) return undefined;
    const entry = this.maps.get(regs.lo[2]!);
    if (!entry || entry.map.type !== MapType.PROG_ARRAY) return undefined;
    const at = entry.map.lookup(u32Bytes(regs.lo[3]!));
    if (at === undefined) return undefined;
    const target = this.programs.get(u32At(entry.map.value(at)))?.program;
    if (target) this.tailCalled = true;
    return target;
  }

  pin(fd: Fd, path: string): void {
    const link = this.hookTable.links.get(fd.value);
    link?.pins.add(path);
    const kind: ObjectKind = this.maps.has(fd.value)
      ? "map"
      : this.programs.has(fd.value)
        ? "prog"
        : link
          ? "link"
          : "btf";
    this.pins.set(path, { kind, handle: fd.value });
  }

  unpin(path: string): void {
    const pin = this.pins.get(path);
    this.pins.delete(path);
    // a pinned link whose descriptor is closed ends with its last pin
    const link = pin?.kind === "link" ? this.hookTable.links.get(pin.handle) : undefined;
    if (link) {
      link.pins.delete(path);
      this.hookTable.release(link);
    }
  }

  getPinned(path: string): Fd {
    const pin = this.pins.get(path);
    if (!pin) throw new VmError("MAP", `nothing is pinned at ${path} in the VM`);
    return new Fd(pin.handle, () => {}, pin.kind);
  }

  nextId(kind: ObjectKind, startId: number): number | null {
    const table = { map: this.maps, prog: this.programs, btf: this.btfs, link: this.hookTable.links }[kind];
    const ids = [...table.keys()];
    return ids.filter((id) => id > startId).sort((a, b) => a - b)[0] ?? null;
  }

  fdById(kind: ObjectKind, id: number): Fd {
    return new Fd(id, () => {}, kind);
  }

  progInfo(prog: Fd): ProgInfo {
    const p = this.prog(prog);
    const count = (info: ExtInfo | undefined) => (info?.recordSize ? info.bytes.length / info.recordSize : 0);
    const nrFuncInfo = count(p.load.funcInfo);
    const nrLineInfo = count(p.load.lineInfo);
    return {
      type: p.type,
      id: p.id,
      tag: progTag(p.load.insns),
      name: p.name.slice(0, 15),
      jitedProgLen: 0,
      xlatedProgLen: p.xlated.length,
      loadTime: p.loadTime,
      createdByUid: this.uid,
      mapIds: p.mapIds,
      ifindex: 0,
      gplCompatible: /^(GPL|GPL v2|GPL and additional rights|Dual BSD\/GPL|Dual MIT\/GPL|Dual MPL\/GPL)$/.test(
        p.license,
      ),
      netnsDev: 0n,
      netnsIno: 0n,
      // The kernel keeps the program's BTF only when func_info or line_info refers to it.
      btfId: nrFuncInfo || nrLineInfo ? (p.load.progBtf?.value ?? 0) : 0,
      nrFuncInfo,
      nrLineInfo,
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

  btfInfo(btf: Fd): BtfInfo {
    // BTF a program loaded: no name, not the kernel's; the id is the handle, as for maps and programs
    return { id: btf.value, size: this.btfData(btf).length, name: "", kernelBtf: false };
  }

  linkInfo(link: Fd): LinkInfo {
    const l = this.link(link);
    // the per-type union is not filled in: the hook name says what it is attached to
    return { type: l.linkType, id: l.id, progId: l.program.id, details: new Uint8Array(0) };
  }

  /**
   * The instructions as loaded, in the form of the kernel's dump of a program it does not JIT: map references with
   * source BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE and the map's id (bpftool prints `map[id:N]`), bpf-to-bpf
   * calls with their target in `off`. (The verifier's own rewrites, such as inlined map lookups, are not made.)
   */
  progXlatedInsns(prog: Fd): Uint8Array {
    const { load } = this.prog(prog);
    const insns = load.insns.slice();
    const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
    for (let at = 0; at + 8 <= insns.length; at += 8) {
      if (insns[at] === CALL && insns[at + 1]! >> 4 === PseudoCall.CALL) {
        view.setInt16(at + 2, view.getInt32(at + 4, true), true);
      }
      if (insns[at] !== LD_IMM64 || at + 16 > insns.length) continue;
      const src = insns[at + 1]! >> 4;
      const ref = view.getInt32(at + 4, true);
      const indexed = src === PSEUDO_MAP_IDX || src === PSEUDO_MAP_IDX_VALUE;
      if (src === PSEUDO_MAP_FD || src === PSEUDO_MAP_VALUE || indexed) {
        // A VM map's id is its handle, which is also its descriptor.
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

  progExtInfo(prog: Fd): ProgExtInfo {
    const { load } = this.prog(prog);
    const records = (info: ExtInfo | undefined, recordSize: number) =>
      info?.recordSize && info.bytes.length > 0 ? info : { bytes: new Uint8Array(0), recordSize };
    return { funcInfo: records(load.funcInfo, 8), lineInfo: records(load.lineInfo, 16) };
  }

  /** BPF_PROG_BIND_MAP (the loader binds .rodata to every program, as libbpf does): one of the program's maps. */
  bindMap(prog: Fd, map: Fd): void {
    const { mapIds } = this.prog(prog);
    const { id } = this.entry(map);
    if (!mapIds.includes(id)) mapIds.push(id);
  }

  btfData(btf: Fd): Uint8Array {
    const data = this.btfs.get(btf.value);
    if (!data) throw new LoaderError("BAD_BTF", `${btf} is not a VM BTF object`);
    return data.slice();
  }

  close(): void {
    this.hookTable.clear();
    for (const ref of [...this.handles.values()]) ref.deref()?.close();
    this.handles.clear();
    this.maps.clear();
    this.programs.clear();
    this.btfs.clear();
  }
}
