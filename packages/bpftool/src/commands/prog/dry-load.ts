// Ours, for the read-only commands on `object FILE` (prog dump xlated, map show): the object as bpftool 7.1 would
// load it, without the kernel. The loader runs its whole load (externs, CO-RE against this machine's vmlinux BTF,
// which any user may read, map plans, subprogram linking, relocations) against a backend that only records what
// it is asked: BPF_MAP_CREATE and BPF_PROG_LOAD attributes. No map exists, so the instructions carry the recorder's
// placeholder descriptors where the kernel would see map fds; `mapNames` turns them back into map names.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { KernelSymbol } from "@bpfkit/asm";
import { Btf } from "@bpfkit/btf";
import { type Collection, loadCollection, possibleCpus } from "@bpfkit/kernel";
import {
  type Backend,
  type BtfLoadAttrs,
  Fd,
  type Features,
  type LoadedProgram,
  type MapCreateAttrs,
  MODERN_KERNEL_FEATURES,
  type ObjectSpec,
  type ProgLoadAttrs,
  type ProgramSpec,
} from "@bpfkit/loader";
import type { Context } from "../../cli/context.js";
import { Bpftool71Environment, loadFailure } from "./object.js";

/** A program as BPF_PROG_LOAD would receive it. */
export interface DryProgram {
  readonly spec: ProgramSpec;
  readonly attrs: ProgLoadAttrs;
}

/** A map as BPF_MAP_CREATE would receive it, and what the load would do to it afterwards. */
export interface DryMap {
  /** libbpf's name for the map (the kernel keeps 15 bytes of it). */
  readonly name: string;
  readonly attrs: MapCreateAttrs;
  /** .rodata and .kconfig are frozen once written. */
  readonly frozen: boolean;
  /** Created with the object's BTF (the kernel would give it a btf_id). */
  readonly hasBtf: boolean;
}

export interface DryLoad {
  readonly spec: ObjectSpec;
  readonly programs: readonly DryProgram[];
  readonly maps: readonly DryMap[];
  /** Placeholder descriptor (in ld_imm64 imm) -> map name. */
  readonly mapNames: ReadonlyMap<number, string>;
}

/** Map types libbpf 1.1 creates without BTF whatever the object says (bpf_object__create_map). */
const LIBBPF_NO_BTF_MAP_TYPES = new Set([
  4 /* PERF_EVENT_ARRAY */, 8 /* CGROUP_ARRAY */, 7 /* STACK_TRACE */, 12 /* ARRAY_OF_MAPS */, 13 /* HASH_OF_MAPS */,
  14 /* DEVMAP */, 25 /* DEVMAP_HASH */, 16 /* CPUMAP */, 17 /* XSKMAP */, 15 /* SOCKMAP */, 18 /* SOCKHASH */,
  22 /* QUEUE */, 23 /* STACK */,
]);

/**
 * Whether the map ends up without BTF: libbpf drops it for some types, and the kernel refuses a key type without a
 * value type or types whose sizes are not the map's (libbpf, and our loader, then create the map without BTF).
 * The kernel's checks of particular map types (map_check_btf) are not repeated here.
 */
export function btfRefused(attrs: MapCreateAttrs, btf: Btf | undefined): boolean {
  if ((attrs.btfVmlinuxValueTypeId ?? 0) !== 0) return false;
  if (LIBBPF_NO_BTF_MAP_TYPES.has(attrs.mapType)) return true;
  const key = attrs.btfKeyTypeId ?? 0;
  const value = attrs.btfValueTypeId ?? 0;
  if (key !== 0 && value === 0) return true;
  if (value === 0) return false;
  if (btf === undefined) return true;
  try {
    return (key !== 0 && btf.resolveSize(key) !== attrs.keySize) || btf.resolveSize(value) !== attrs.valueSize;
  } catch {
    return true;
  }
}

/** First placeholder descriptor: far from small numbers, so a placeholder is easy to tell in a debug dump. */
const FIRST_PLACEHOLDER = 1000;

/**
 * The kernel facts as bpftool 7.1's libbpf reads them, also for a user the kernel hides addresses from: kallsyms
 * then lists every symbol at 0, and libbpf resolves typeless ksyms to 0 (the parser used for loads drops
 * such a table, since no load could use it).
 */
class DryEnvironment extends Bpftool71Environment {
  #hidden: KernelSymbol[] | undefined;

  override kallsyms(): readonly KernelSymbol[] {
    const symbols = super.kallsyms();
    if (symbols.length > 0) return symbols;
    this.#hidden ??= readFileSync(join(this.procDir, "kallsyms"), "utf8")
      .split("\n")
      .flatMap((line) => {
        const name = line.split(/\s+/)[2];
        return name ? [{ address: 0n, name }] : [];
      });
    return this.#hidden;
  }
}

let environment: DryEnvironment | undefined;

/** The kernel facts a dry run uses (vmlinux BTF, kconfig, kallsyms), read once per process. */
export function dryEnvironment(): Bpftool71Environment {
  environment ??= new DryEnvironment();
  return environment;
}

/** A backend that records creations and loads; anything else (a lookup, a pin, an id walk) would need the kernel. */
class Recorder {
  readonly name = "kernel";
  readonly maps = new Map<number, MapCreateAttrs>();
  readonly programs = new Map<number, ProgLoadAttrs>();
  readonly frozen = new Set<number>();
  #next = FIRST_PLACEHOLDER;
  #btf: Btf | undefined;

  #fd(label: string): Fd {
    return new Fd(this.#next++, () => {}, label);
  }

  /** Perf event arrays and per-CPU values are sized to the kernel's possible CPUs, as libbpf sizes them. */
  get possibleCpus(): number {
    return possibleCpus();
  }

  features(): Features {
    return MODERN_KERNEL_FEATURES;
  }

  loadBtf(attrs: BtfLoadAttrs): { fd: Fd; log: string[] } {
    try {
      this.#btf = Btf.parse(attrs.btf, { checkCycles: false });
    } catch {
      this.#btf = undefined;
    }
    return { fd: this.#fd("btf"), log: [] };
  }

  createMap(attrs: MapCreateAttrs): Fd {
    if (attrs.btf !== undefined && btfRefused(attrs, this.#btf)) throw new Error("Invalid argument (BTF refused)");
    const fd = this.#fd("map");
    this.maps.set(fd.value, attrs);
    return fd;
  }

  loadProgram(attrs: ProgLoadAttrs): LoadedProgram {
    const fd = this.#fd("prog");
    this.programs.set(fd.value, attrs);
    return { fd, log: [] };
  }

  /** Initial contents of global data: nothing to show without the kernel. */
  mapUpdate(): void {}

  mapFreeze(map: Fd): void {
    this.frozen.add(map.value);
  }

  /** No module BTF objects are visible (their ids would come from the kernel). */
  nextId(): null {
    return null;
  }

  close(): void {}
}

/** The recorder as a Backend: a method it lacks fails loudly instead of reaching for the kernel. */
function asBackend(recorder: Recorder): Backend {
  return new Proxy(recorder, {
    get(target, prop) {
      if (prop in target) {
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      // optional methods the loader looks for before using them (bindMap: .rodata bound to each program)
      if (typeof prop === "symbol" || prop === "then" || prop === "bindMap") return undefined;
      return () => {
        throw new Error(`${prop} needs the kernel, and this command reads the object file only`);
      };
    },
  }) as unknown as Backend;
}

/**
 * Runs the load of `spec` (opened and typed as bpftool 7.1 opens it) without the kernel; only `programs` are
 * prepared when given (none: the maps only). Failures are reported as a failed load is.
 */
export function dryLoad(ctx: Context, spec: ObjectSpec, path: string, programs?: readonly string[]): DryLoad {
  // nothing is pinned either: pin paths are the kernel's
  const unpinned = {
    ...spec,
    maps: spec.maps.map((m) => (m.pinning === "none" ? m : { ...m, pinning: "none" as const })),
  };
  const recorder = new Recorder();
  let collection: Collection;
  try {
    collection = loadCollection(unpinned, {
      backend: asBackend(recorder),
      environment: dryEnvironment(),
      programs,
      onCoreTrace: ctx.options.debug ? (line) => ctx.debug(`libbpf: ${line}`) : undefined,
    });
  } catch (error) {
    throw loadFailure(ctx, error, path);
  }
  try {
    const dryPrograms: DryProgram[] = [];
    for (const [name, handle] of collection.programs) {
      const attrs = recorder.programs.get(handle.fd.value);
      const programSpec = spec.programs.find((p) => p.name === name);
      if (attrs !== undefined && programSpec !== undefined) dryPrograms.push({ spec: programSpec, attrs });
    }
    const maps: DryMap[] = [];
    const mapNames = new Map<number, string>();
    // in the object's order, as the load creates them (inner map templates are not in the collection)
    for (const [name, handle] of collection.maps) {
      const attrs = recorder.maps.get(handle.fd.value);
      if (attrs === undefined) continue;
      mapNames.set(handle.fd.value, name);
      const hasBtf =
        attrs.btf !== undefined &&
        ((attrs.btfKeyTypeId ?? 0) !== 0 ||
          (attrs.btfValueTypeId ?? 0) !== 0 ||
          (attrs.btfVmlinuxValueTypeId ?? 0) !== 0);
      maps.push({ name, attrs, frozen: recorder.frozen.has(handle.fd.value), hasBtf });
    }
    return { spec, programs: dryPrograms, maps, mapNames };
  } finally {
    collection.close();
  }
}
