// End-to-end loading of an opened spec into a Backend, in libbpf 1.1's order: resolve externs → load BTF →
// create maps (reuse pinned ones, write initial contents, freeze .rodata/.kconfig, pin) → prepare programs
// (CO-RE, subprogram linking, relocations) → load programs → fill prog arrays and map-in-map slots.
// The spec is only read. On any failure everything created so far is closed; new pins are made only at the very
// end, after every program loaded, and a pin that fails removes those made before it: a failed load leaves no pins.

import type { Backend, Features } from "../backend.js";
import { LoaderError } from "../errors.js";
import type { Fd } from "../fd.js";
import type { ObjectSpec } from "../object/spec.js";
import type { CoreOptions } from "../prepare/core-hook.js";
import type { KernelBtfObject, KernelBtfView } from "../prepare/ksyms.js";
import {
  type ExternInput,
  type MapCreatePlan,
  type PreparedMap,
  prepareExterns,
  prepareMaps,
  preparePrograms,
} from "../prepare/prepare.js";
import { btfNeedsSanitization, sanitizeBtf } from "../prepare/sanitize-btf.js";
import { type PreparedStructOps, prepareStructOps } from "../prepare/struct-ops.js";
import { SecFlag } from "../sections/section-defs.js";
import { attachTargetName } from "./kernel-btf.js";

export interface LoadOptions<Targets = unknown, Applied = unknown> {
  /** Kconfig text, kallsyms, kernel version ...; `vmlinux`/`modules` also serve attach-target lookups. */
  readonly externs?: ExternInput;
  readonly core?: CoreOptions<Targets, Applied>;
  /** Programs to load (default: those with autoload). */
  readonly programs?: readonly string[];
  /** Directory for LIBBPF_PIN_BY_NAME maps (default /sys/fs/bpf). */
  readonly pinRoot?: string;
  readonly possibleCpus?: number;
  /** Verifier log level for every program (0: log only on failure). */
  readonly logLevel?: number;
  /** Handles of the module BTF objects named in `externs.modules` (by module name), for kfuncs and attach targets. */
  readonly moduleBtfFds?: ReadonlyMap<string, Fd>;
  /**
   * Existing maps to use instead of creating these (by map name; libbpf's bpf_map__reuse_fd, bpftool's `map idx`).
   * They are not written, frozen, pinned or closed by the load: the caller keeps them.
   */
  readonly reuseMaps?: ReadonlyMap<string, Fd>;
}

function fdOrThrow(fd: number): never {
  throw new LoaderError("UNRESOLVED", `module BTF fd ${fd} was not passed in moduleBtfFds`);
}

export interface LoadedObject {
  readonly maps: ReadonlyMap<string, Fd>;
  readonly programs: ReadonlyMap<string, Fd>;
  readonly btf: Fd | undefined;
  /** Maps that were found pinned and reused instead of created. */
  readonly reusedMaps: readonly string[];
  /** Notes such as "BTF rejected, continuing without". */
  readonly warnings: readonly string[];
  /** Kernel layouts of the struct_ops maps, by map name (to register them: `registerStructOps`). */
  readonly structOps: ReadonlyMap<string, PreparedStructOps>;
  close(): void;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

function createMap(backend: Backend, plan: MapCreatePlan, btf: Fd | undefined, inner: Fd | undefined): Fd {
  const base = {
    mapType: plan.mapType,
    keySize: plan.keySize,
    valueSize: plan.valueSize,
    maxEntries: plan.maxEntries,
    flags: plan.flags,
    name: plan.name,
    numaNode: plan.numaNode,
    mapExtra: plan.mapExtra,
    innerMap: inner,
  };
  if (plan.btfVmlinuxValueTypeId !== 0) {
    // struct_ops: the kernel wants the object's BTF fd next to the vmlinux value type id, and there is no
    // BTF-less retry (the map type cannot exist without them)
    return backend.createMap({ ...base, btf, btfVmlinuxValueTypeId: plan.btfVmlinuxValueTypeId });
  }
  const withBtf = btf !== undefined && (plan.btfKeyTypeId !== 0 || plan.btfValueTypeId !== 0);
  if (!withBtf) return backend.createMap(base);
  try {
    return backend.createMap({ ...base, btf, btfKeyTypeId: plan.btfKeyTypeId, btfValueTypeId: plan.btfValueTypeId });
  } catch {
    // libbpf retries without BTF type ids (some map types reject them on some kernels)
    return backend.createMap(base);
  }
}

/** The first map parameter where a pinned map differs from the one the object defines, if any (libbpf's checks). */
function pinnedMismatch(backend: Backend, fd: Fd, plan: MapCreatePlan): string | undefined {
  const info = backend.mapInfo(fd);
  const checks: [string, number | bigint, number | bigint][] = [
    ["type", info.type, plan.mapType],
    ["key_size", info.keySize, plan.keySize],
    ["value_size", info.valueSize, plan.valueSize],
    ["max_entries", info.maxEntries, plan.maxEntries],
    ["map_flags", info.flags, plan.flags],
    ["map_extra", info.mapExtra, plan.mapExtra],
  ];
  const bad = checks.find(([, pinned, wanted]) => pinned !== wanted);
  return bad && `${bad[0]} is ${bad[1]} there, ${bad[2]} in the object`;
}

function lookupAttachTarget(
  program: { name: string; expectedAttachType: number; attachTo: string | undefined },
  vmlinux: KernelBtfView | undefined,
  modules: readonly KernelBtfObject[],
): { id: number; module: KernelBtfObject | undefined } {
  if (program.attachTo === undefined) {
    throw new LoaderError("UNRESOLVED", `prog '${program.name}': no attach target in the section name`, {
      program: program.name,
    });
  }
  const { name, kind } = attachTargetName(program.expectedAttachType, program.attachTo);
  const id = vmlinux?.findByNameKind(name, kind) ?? 0;
  if (id > 0) return { id, module: undefined };
  for (const module of modules) {
    const mid = module.btf.findByNameKind(name, kind);
    if (mid > 0) return { id: mid, module };
  }
  throw new LoaderError(
    "UNRESOLVED",
    `prog '${program.name}': failed to find kernel BTF type ID of '${program.attachTo}'`,
    {
      program: program.name,
    },
  );
}

/** Pins every new by-name map, or none: a pin that fails removes the ones made before it (as libbpf does). */
function pinAll(backend: Backend, plans: readonly PreparedMap[], maps: ReadonlyMap<string, Fd>): void {
  const done: string[] = [];
  try {
    for (const plan of plans) {
      backend.pin(maps.get(plan.spec.name)!, plan.pinPath!);
      done.push(plan.pinPath!);
    }
  } catch (error) {
    for (const path of done) backend.unpin(path);
    throw error;
  }
}

export function load<Targets = unknown, Applied = unknown>(
  spec: ObjectSpec,
  backend: Backend,
  options: LoadOptions<Targets, Applied> = {},
): LoadedObject {
  if (spec.endianness !== "little") {
    throw new LoaderError("NOT_SUPPORTED", `object '${spec.name}' is big-endian; this host is little-endian`);
  }
  const owned: Fd[] = [];
  const warnings: string[] = [];
  const closeAll = () => {
    for (const fd of owned.reverse()) fd.close();
  };
  try {
    const features: Features = backend.features();
    const prepFeatures = {
      arrayMmap: features.arrayMmap,
      expAttachType: features.expAttachType,
      btfFunc: features.btfFunc,
    };
    const externs = prepareExterns(spec, { bpfCookie: features.bpfCookie, ...options.externs });
    // libbpf 1.1's init_kern_struct_ops_maps, done before anything is created: a mismatch opens nothing
    const structOps = prepareStructOps(spec, options.externs?.vmlinux);

    let btf: Fd | undefined;
    if (spec.btf && features.btf) {
      try {
        // only a kernel lacking some BTF kind gets a rewritten copy; the common path sends the bytes as they are
        const kernelBtf = btfNeedsSanitization(features) ? sanitizeBtf(spec.btf, features) : spec.btf;
        btf = backend.loadBtf({ btf: kernelBtf }).fd;
        owned.push(btf);
      } catch (error) {
        // struct_ops maps cannot be created without the object's BTF (libbpf's kernel_needs_btf)
        if (structOps.length > 0) throw error;
        warnings.push(`object BTF rejected, continuing without it: ${(error as Error).message}`);
      }
    }

    const maps = new Map<string, Fd>();
    const reusedMaps: string[] = [];
    const toPin: PreparedMap[] = [];
    const plans = prepareMaps(spec, {
      externs,
      features: prepFeatures,
      pinRoot: options.pinRoot,
      possibleCpus: options.possibleCpus,
      structOps,
    });
    for (const plan of plans) {
      const given = options.reuseMaps?.get(plan.spec.name);
      if (given) {
        maps.set(plan.spec.name, given);
        reusedMaps.push(plan.spec.name);
        continue;
      }
      if (plan.pinPath) {
        let pinned: Fd | undefined;
        try {
          pinned = backend.getPinned(plan.pinPath);
        } catch {
          pinned = undefined;
        }
        if (pinned) {
          owned.push(pinned);
          const mismatch = pinnedMismatch(backend, pinned, plan.create);
          if (mismatch) {
            throw new LoaderError(
              "BAD_MAP",
              `map '${plan.spec.name}': pinned map at ${plan.pinPath} is incompatible: ${mismatch}`,
              { map: plan.spec.name },
            );
          }
          maps.set(plan.spec.name, pinned);
          reusedMaps.push(plan.spec.name);
          continue;
        }
      }
      let inner: Fd | undefined;
      if (plan.inner) inner = createMap(backend, plan.inner, btf, undefined);
      let fd: Fd;
      try {
        fd = createMap(backend, plan.create, btf, inner);
      } finally {
        inner?.close();
      }
      owned.push(fd);
      maps.set(plan.spec.name, fd);
      if (plan.contents) backend.mapUpdate(fd, u32(0), plan.contents);
      if (plan.freeze) backend.mapFreeze(fd);
      if (plan.pinPath) toPin.push(plan);
    }

    const mapFds = new Map([...maps].map(([name, fd]) => [name, fd.value]));
    const prepared = preparePrograms(spec, {
      mapFds,
      externs,
      programs: options.programs,
      features: prepFeatures,
      kernelVersion: options.externs?.kernelVersion,
      core: options.core,
      structOps,
    });
    const programs = new Map<string, Fd>();
    const moduleFds = new Map(
      [...(options.moduleBtfFds ?? new Map<string, Fd>()).values()].map((fd) => [fd.value, fd]),
    );
    for (const prog of prepared.programs) {
      const spec_ = spec.programs.find((p) => p.name === prog.name)!;
      let attachBtfId: number | undefined;
      let attachBtfObj: Fd | undefined;
      if ((spec_.secFlags & SecFlag.ATTACH_BTF) !== 0 && prog.type !== 28 /* EXT */) {
        const target = lookupAttachTarget(prog, options.externs?.vmlinux, options.externs?.modules ?? []);
        attachBtfId = target.id;
        attachBtfObj = target.module ? moduleFds.get(target.module.fd) : undefined;
      }
      const loaded = backend.loadProgram({
        progType: prog.type,
        insns: prog.insns,
        license: prog.license,
        name: prog.name.slice(0, 15),
        expectedAttachType: prog.expectedAttachType,
        flags: prog.flags,
        kernVersion: prog.kernelVersion,
        progBtf: btf,
        funcInfo: btf ? prog.funcInfo : undefined,
        lineInfo: btf ? prog.lineInfo : undefined,
        attachBtfId: attachBtfId ?? prog.attachBtfId,
        attachBtfObj,
        // 0 marks the unused slot 0 (a kfunc call with off 0 means vmlinux); the rest are module BTF fds
        fdArray:
          prog.fdArray.length > 0
            ? prog.fdArray.map((n) => (n === 0 ? null : (moduleFds.get(n) ?? fdOrThrow(n))))
            : undefined,
        logLevel: options.logLevel,
        coreRelocations: prog.coreRelocations.length > 0 ? prog.coreRelocations : undefined,
      });
      owned.push(loaded.fd);
      programs.set(prog.name, loaded.fd);
      // libbpf binds every .rodata* map to every program so the data outlives whatever references it
      // (bpf_prog_bind_map); only when the backend can do it.
      if (backend.bindMap && features.progBindMap) {
        for (const m of spec.maps) {
          const fd = m.kind === "rodata" ? maps.get(m.name) : undefined;
          if (fd) backend.bindMap(loaded.fd, fd);
        }
      }
    }

    // .values initializers, after programs exist (libbpf: init_prog_arrays; map-in-map at map creation).
    for (const plan of plans) {
      const outer = maps.get(plan.spec.name);
      if (!outer || reusedMaps.includes(plan.spec.name)) continue;
      for (const slot of plan.spec.slots) {
        const target = slot.map ? maps.get(slot.map) : slot.program ? programs.get(slot.program) : undefined;
        if (!target) continue; // libbpf skips slots of programs that were not loaded
        backend.mapUpdate(outer, u32(slot.index), u32(target.value));
      }
    }
    pinAll(backend, toPin, maps);

    return {
      maps,
      programs,
      btf,
      reusedMaps,
      warnings,
      structOps: new Map(structOps.map((p) => [p.map, p])),
      close: closeAll,
    };
  } catch (error) {
    closeAll();
    throw error;
  }
}
