// One call from an object file to programs and maps living in the kernel: open (if given a path or bytes), gather
// the kernel facts the object needs from a shared KernelEnvironment (vmlinux BTF for CO-RE and ksyms, Kconfig
// only for CONFIG_ externs, kallsyms only for typeless ksyms), load, and hand back a Collection that owns every
// descriptor and mapping. A failed load leaves nothing open.

import { readFileSync } from "node:fs";
import {
  type AppliedRelocation,
  Btf,
  btfTarget,
  type CoreTargetBtf,
  type RelocateCoreOptions,
  relocateCore,
} from "@bpfkit/btf";
import { isElf } from "@bpfkit/elf";
import {
  attachPlan,
  type Backend,
  type ExternInput,
  type ExternSpec,
  type Fd,
  type LoadedObject,
  LoaderError,
  load,
  type ObjectSpec,
  type OpenOptions,
  openObject,
  type ProgLoadAttrs,
  type ProgramSpec,
  registerStructOps,
  type StructOpsRegistration,
  setVariable,
  type VariableValue,
} from "@bpfkit/loader";
import { attachByPlan } from "./attach/attach.js";
import { type KernelEnvironment, kernelEnvironment } from "./environment.js";
import { BpfSyscallError } from "./errors.js";
import { KernelBackend } from "./kernel-backend.js";
import type { Link } from "./link-handle.js";
import { MapHandle } from "./map-handle.js";
import { ProgramHandle } from "./program-handle.js";
import { decodeLineInfo } from "./source-lines.js";
import { DataSection, VariableHandle } from "./variable-handle.js";

export interface LoadCollectionOptions extends Pick<OpenOptions, "name" | "programTypes" | "sectionTable"> {
  /** Where to load (default: a new KernelBackend, closed with the collection). */
  readonly backend?: Backend;
  /** Kernel facts (default: the process-wide `kernelEnvironment()`). */
  readonly environment?: KernelEnvironment;
  /** Global variables to set before loading (`const volatile` configuration in .rodata, initial .data values). */
  readonly variables?: Readonly<Record<string, VariableValue>>;
  /** Kconfig text that wins over the system's (libbpf's `kconfig` open option). */
  readonly kconfig?: string;
  /** Raw BTF (or an ELF object with .BTF) to use as the CO-RE target instead of vmlinux (libbpf's btf_custom_path). */
  readonly btfCustomPath?: string;
  /** Directory for LIBBPF_PIN_BY_NAME maps (default /sys/fs/bpf). */
  readonly pinRoot?: string;
  /** Verifier log level for every program (0: log only to explain a failure). */
  readonly logLevel?: number;
  /** Programs to load (default: every program with autoload). */
  readonly programs?: readonly string[];
  /**
   * Every line of the CO-RE trace as it is produced (libbpf's debug lines: candidates, matches, patched values,
   * poisoned instructions), also when the load then fails. `Collection.coreRelocations` has the same as data.
   */
  readonly onCoreTrace?: (line: string) => void;
  /** Existing maps to use instead of creating these, by map name (libbpf's bpf_map__reuse_fd); the caller keeps them. */
  readonly reuseMaps?: ReadonlyMap<string, Fd>;
}

/** Programs, maps and global variables of a loaded object; closing it releases every descriptor. */
export class Collection implements Disposable {
  readonly spec: ObjectSpec;
  readonly programs: ReadonlyMap<string, ProgramHandle>;
  readonly maps: ReadonlyMap<string, MapHandle>;
  readonly variables: ReadonlyMap<string, VariableHandle>;
  /** Notes from opening and loading (skipped sections, BTF refused ...). */
  readonly warnings: readonly string[];
  /**
   * Every CO-RE relocation the engine applied (or poisoned), in trace order; instruction indices are inside the
   * function the relocation is in (`describeRelocation` from @bpfkit/btf formats one per line). Empty without CO-RE.
   */
  readonly coreRelocations: readonly AppliedRelocation[];
  readonly #loaded: LoadedObject;
  readonly #sections: readonly DataSection[];
  readonly #ownedBackend: Backend | undefined;
  readonly #backend: Backend;
  readonly #registrations = new Set<StructOpsRegistration>();
  readonly #links = new Set<Link>();
  #closed = false;

  /** @internal use loadCollection */
  constructor(init: {
    spec: ObjectSpec;
    backend: Backend;
    loaded: LoadedObject;
    btf: Btf | undefined;
    ownedBackend: Backend | undefined;
    warnings: readonly string[];
    coreRelocations?: readonly AppliedRelocation[];
  }) {
    const { spec, backend, loaded, btf } = init;
    this.spec = spec;
    this.#loaded = loaded;
    this.#ownedBackend = init.ownedBackend;
    this.#backend = backend;
    this.warnings = init.warnings;
    this.coreRelocations = init.coreRelocations ?? [];
    const cpus = backend.possibleCpus ?? 1;
    const programs = new Map<string, ProgramHandle>();
    for (const [name, fd] of loaded.programs) {
      programs.set(name, new ProgramHandle(backend, fd, spec.programs.find((p) => p.name === name)!));
    }
    const maps = new Map<string, MapHandle>();
    const sections = new Map<string, DataSection>();
    for (const mapSpec of spec.maps) {
      const fd = loaded.maps.get(mapSpec.name);
      if (!fd) continue;
      // a struct_ops map's value is the kernel's struct, not the object's
      const structOps = loaded.structOps.get(mapSpec.name);
      const handleSpec = structOps ? { ...mapSpec, valueSize: structOps.valueSize } : mapSpec;
      maps.set(mapSpec.name, new MapHandle(backend, fd, handleSpec, btf, cpus));
      if (mapSpec.contents !== undefined && !structOps) {
        sections.set(mapSpec.name, new DataSection(backend, fd, mapSpec));
      }
    }
    const variables = new Map<string, VariableHandle>();
    for (const v of spec.variables) {
      const section = sections.get(v.map);
      if (section) variables.set(v.name, new VariableHandle(section, v, btf));
    }
    this.programs = programs;
    this.maps = maps;
    this.variables = variables;
    this.#sections = [...sections.values()];
  }

  get closed(): boolean {
    return this.#closed;
  }

  program(name: string): ProgramHandle {
    const found = this.programs.get(name);
    if (!found) throw notFound("program", name, this.programs.keys());
    return found;
  }

  map(name: string): MapHandle {
    const found = this.maps.get(name);
    if (!found) throw notFound("map", name, this.maps.keys());
    return found;
  }

  variable(name: string): VariableHandle {
    const found = this.variables.get(name);
    if (!found) throw notFound("variable", name, this.variables.keys());
    return found;
  }

  /**
   * Registers struct_ops map `name` with the kernel (libbpf's bpf_map__attach_struct_ops): its function pointers
   * get the programs' fds and the value is written (a BPF_F_LINK map is registered through a link instead).
   * `close()` on the result unregisters it; closing the collection unregisters whatever is still registered,
   * except registrations made with `outliveCollection`.
   */
  registerStructOps(name: string, options: { outliveCollection?: boolean } = {}): StructOpsRegistration {
    // bpftool's `struct_ops register` leaves the map registered after it exits (bpf_link__disconnect): the kernel
    // keeps a registered struct_ops map alive; a BPF_F_LINK map's link still ends with the backend
    if (options.outliveCollection) return registerStructOps(this.#backend, this.#loaded, name);
    const registration: StructOpsRegistration = registerStructOps(this.#backend, this.#loaded, name, () =>
      this.#registrations.delete(registration),
    );
    this.#registrations.add(registration);
    return registration;
  }

  /**
   * libbpf's auto-attach (bpf_object__attach_skeleton): every loaded program whose SEC() name gives a target is
   * attached to it; the others (XDP, tc, cgroup ... which need a target from the caller, and bare sections) are
   * skipped. All or nothing: if one fails, those attached before it are detached and the error is thrown. The links
   * belong to the collection (closed with it) unless closed or pinned before.
   */
  attachAll(): Link[] {
    const links: Link[] = [];
    try {
      for (const program of this.programs.values()) {
        const plan = attachPlan(program.spec);
        if (plan.kind === "manual" || plan.kind === "struct_ops") continue;
        links.push(attachByPlan(this.#backend, program, plan));
      }
    } catch (error) {
      for (const link of links) link.close();
      throw error;
    }
    for (const link of links) this.#links.add(link);
    return links;
  }

  /**
   * Detaches links attachAll made (pinned ones stay), unregisters struct_ops maps still registered, unmaps global
   * data, closes every program, map and BTF descriptor (pins stay), and an owned backend.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    let failure: unknown;
    for (const link of this.#links) {
      try {
        link.close();
      } catch (error) {
        failure ??= error;
      }
    }
    for (const registration of [...this.#registrations]) {
      try {
        registration.close();
      } catch (error) {
        failure ??= error;
      }
    }
    for (const section of this.#sections) section.unmap();
    this.#loaded.close();
    this.#ownedBackend?.close();
    if (failure !== undefined) throw failure;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function notFound(what: string, name: string, known: Iterable<string>): LoaderError {
  const list = [...known];
  return new LoaderError(
    "NOT_FOUND",
    `no ${what} named '${name}' in the collection${list.length ? ` (have: ${list.join(", ")})` : ""}`,
    what === "map" ? { map: name } : what === "program" ? { program: name } : { symbol: name },
  );
}

function openInput(input: ObjectSpec | string | Uint8Array, options: LoadCollectionOptions): ObjectSpec {
  const open = { name: options.name, programTypes: options.programTypes, sectionTable: options.sectionTable };
  if (typeof input === "string") return openObject(new Uint8Array(readFileSync(input)), { ...open, path: input });
  if (input instanceof Uint8Array) return openObject(input, open);
  return input;
}

/** Names of CONFIG_ values a Kconfig text sets. */
function kconfigNames(text: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const line of (text ?? "").split("\n")) {
    const eq = line.indexOf("=");
    if (line.startsWith("CONFIG_") && eq > 0) out.add(line.slice(0, eq));
  }
  return out;
}

function customTarget(path: string): CoreTargetBtf {
  const bytes = new Uint8Array(readFileSync(path));
  let raw: Uint8Array = bytes;
  if (isElf(bytes)) {
    // An ELF file: take its .BTF section (libbpf's btf__parse accepts both).
    const spec = openObject(bytes, { path, allowUnknownSections: true });
    if (!spec.btf) throw new LoaderError("BAD_BTF", `btfCustomPath ${path} has no .BTF section`);
    raw = spec.btf;
  }
  return btfTarget("custom", Btf.parse(raw, { section: path }));
}

/** What the object needs from the kernel, gathered lazily from the environment. */
function externInput(spec: ObjectSpec, env: KernelEnvironment, options: LoadCollectionOptions): ExternInput {
  const externs = spec.externs;
  const configs = externs.filter((e) => e.kind === "kconfig" && e.name.startsWith("CONFIG_"));
  const ksyms = externs.filter((e) => e.kind === "ksym");
  const needsBtf =
    ksyms.some((e) => e.ksym?.typed || e.ksym?.isFunc) ||
    spec.programs.some((p) => p.attachTo) ||
    spec.maps.some((m) => m.structOps !== undefined);
  let systemKconfig: string | undefined;
  const userSet = kconfigNames(options.kconfig);
  const unset = configs.filter((e) => !userSet.has(e.name));
  if (unset.length > 0) {
    const system = env.systemKconfig();
    systemKconfig = system?.text;
    const strong = unset.find((e: ExternSpec) => !e.weak);
    if (system === undefined && strong) {
      throw new LoaderError(
        "UNRESOLVED",
        `extern '${strong.name}' needs the kernel config, but none was found (tried ${env.kconfigPaths.join(", ")}); ` +
          "pass `kconfig` text or declare it __weak",
        { symbol: strong.name },
      );
    }
  }
  return {
    kernelVersion: env.kernelVersion,
    kconfig: options.kconfig,
    systemKconfig,
    syscallWrapper: externs.some((e) => e.name === "LINUX_HAS_SYSCALL_WRAPPER") ? env.syscallWrapper : undefined,
    kallsyms: ksyms.some((e) => e.ksym && !e.ksym.typed) ? env.kallsyms() : undefined,
    vmlinux: needsBtf ? env.vmlinuxView : undefined,
  };
}

/** libbpf's wording for a refused load names the program in full (the kernel keeps only 15 bytes of it). */
function nameRefusal(error: unknown, program: ProgramSpec | undefined): unknown {
  if (!(error instanceof BpfSyscallError) || program === undefined) return error;
  let hint = "";
  if (error.code === "EPERM" && process.getuid?.() === 0 && TRAMPOLINE_TYPES.has(program.type)) {
    hint =
      ` (running as root, so this kernel refuses SEC("${program.sectionName}") programs: ` +
      "BPF trampolines or BPF LSM are unavailable, or lockdown is on)";
  }
  error.message = `prog '${program.name}': ${error.message}${hint}`;
  return error;
}

/** tracing (fentry/fexit/fmod_ret/iter/tp_btf), ext (freplace) and lsm programs need BTF trampolines. */
const TRAMPOLINE_TYPES = new Set([26 /* TRACING */, 28 /* EXT */, 29 /* LSM */]);

/**
 * A backend whose loadProgram also passes the decoded line_info as `sourceLines`, so a verifier refusal names
 * the C line (load() hands the kernel the packed records only), and whose refusals name the program in full.
 * Everything else goes to the backend itself.
 */
function loadingBackend(backend: Backend, spec: ObjectSpec, btf: Btf | undefined): Backend {
  const loadProgram = (attrs: ProgLoadAttrs) => {
    const program = spec.programs.find((p) => p.name.slice(0, 15) === attrs.name);
    const withLines =
      attrs.sourceLines || !attrs.lineInfo ? attrs : { ...attrs, sourceLines: decodeLineInfo(attrs.lineInfo, btf) };
    try {
      return backend.loadProgram(withLines);
    } catch (error) {
      throw nameRefusal(error, program);
    }
  };
  return new Proxy(backend, {
    get(target, prop) {
      if (prop === "loadProgram") return loadProgram;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Module BTF handles for kfunc calls and attach targets in modules (closed once the programs are loaded). */
function openModuleBtfs(backend: Backend, env: KernelEnvironment, spec: ObjectSpec) {
  const wanted = spec.externs.some((e) => e.ksym?.typed || e.ksym?.isFunc) || spec.programs.some((p) => p.attachTo);
  const fds = new Map<string, Fd>();
  if (!wanted || env.modules.length === 0) return { fds, objects: [] };
  const byName = new Set(env.modules.map((m) => m.name));
  for (let id = backend.nextId("btf", 0); id !== null; id = backend.nextId("btf", id)) {
    let fd: Fd;
    try {
      fd = backend.fdById("btf", id);
    } catch {
      continue; // unloaded while we listed
    }
    const info = backend.btfInfo(fd);
    if (info.kernelBtf && byName.has(info.name) && !fds.has(info.name)) fds.set(info.name, fd);
    else fd.close();
  }
  const objects = env.modules
    .filter((m) => fds.has(m.name))
    .map((m) => ({ name: m.name, btf: m.view, fd: fds.get(m.name)!.value }));
  return { fds, objects };
}

/**
 * Opens (when given a path or bytes) and loads an object into the kernel (or `options.backend`), with the kernel
 * facts gathered for it: CO-RE against vmlinux (or `btfCustomPath`), kconfig and ksym externs, module kfuncs.
 */
export function loadCollection(
  input: ObjectSpec | string | Uint8Array,
  options: LoadCollectionOptions = {},
): Collection {
  let spec = openInput(input, options);
  for (const [name, value] of Object.entries(options.variables ?? {})) spec = setVariable(spec, name, value);
  const env = options.environment ?? kernelEnvironment();
  const ownedBackend = options.backend ? undefined : new KernelBackend();
  const backend = options.backend ?? ownedBackend!;
  const moduleFds: Fd[] = [];
  try {
    const btf = spec.btf ? Btf.parse(spec.btf, { checkCycles: false }) : undefined;
    const externs = externInput(spec, env, options);
    const hasCore = spec.coreRelocations.some((s) => s.records.length > 0);
    const targets = !hasCore
      ? undefined
      : options.btfCustomPath !== undefined
        ? { custom: customTarget(options.btfCustomPath) }
        : { vmlinux: env.vmlinuxTarget, modules: env.modules.map((m) => m.target) };
    const modules = openModuleBtfs(backend, env, spec);
    moduleFds.push(...modules.fds.values());
    let coreRelocations: readonly AppliedRelocation[] = [];
    const relocate = (relocateOptions: RelocateCoreOptions) => {
      const result = relocateCore(relocateOptions);
      coreRelocations = result.relocations;
      return result;
    };
    const loaded = load(spec, loadingBackend(backend, spec, btf), {
      externs: { ...externs, modules: modules.objects },
      core: targets ? { relocate, targets, onTrace: options.onCoreTrace } : undefined,
      programs: options.programs,
      pinRoot: options.pinRoot,
      logLevel: options.logLevel,
      moduleBtfFds: modules.fds,
      reuseMaps: options.reuseMaps,
      possibleCpus: backend.possibleCpus,
    });
    return new Collection({
      spec,
      backend,
      loaded,
      btf,
      ownedBackend,
      warnings: [...spec.warnings, ...env.warnings, ...loaded.warnings],
      coreRelocations,
    });
  } catch (error) {
    ownedBackend?.close();
    throw error;
  } finally {
    // the kernel holds its own references to module BTFs a loaded program uses
    for (const fd of moduleFds) fd.close();
  }
}
