// Opening and loading an object file the way bpftool 7.1.0 (libbpf of the kernel 6.1 tree) does, for `prog load`,
// `prog loadall` and our PROG `object FILE`: libbpf 1.1's SEC() table, every global data map mmapable, and
// LINUX_HAS_SYSCALL_WRAPPER as libbpf's kprobe probe answers it. Failures are reported as bpftool reports them:
// libbpf's explanation on stderr, then `failed to open object file` or `failed to load object file`.
import { existsSync, readFileSync } from "node:fs";
import { type Collection, KernelEnvironment, loadCollection, VerifierError } from "@bpfkit/kernel";
import {
  type Backend,
  BPF_PROG_TYPE_STRUCT_OPS,
  type Fd,
  type ObjectSpec,
  openObject,
  type ProgLoadAttrs,
  sectionDefs,
  setMap,
  setProgram,
} from "@bpfkit/loader";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf } from "../../cli/errors.js";
import { libbpf61MapFlags } from "../../libbpf61.js";

/** bpftool's p_info after a failed load, printed in plain mode only (its message ends with a newline of its own). */
export const STRICT_MODE_WARNING =
  "Warning: bpftool is now running in libbpf strict mode and has more stringent requirements about BPF programs.\n" +
  "If it used to work for this object file but now doesn't, see --legacy option for more details.\n";

/**
 * LINUX_HAS_SYSCALL_WRAPPER as libbpf 1.1 finds it: by creating a kprobe on `__<arch>_sys_bpf`. Without kprobes
 * (no kprobe PMU and no tracefs kprobe_events) the probe fails and the answer is 0, whatever vmlinux has.
 */
export class Bpftool71Environment extends KernelEnvironment {
  override get syscallWrapper(): boolean {
    const kprobes =
      existsSync("/sys/bus/event_source/devices/kprobe/type") ||
      existsSync("/sys/kernel/tracing/kprobe_events") ||
      existsSync("/sys/kernel/debug/tracing/kprobe_events");
    return kprobes && super.syscallWrapper;
  }
}

let environment: Bpftool71Environment | undefined;

export interface ObjectLoadRequest {
  readonly path: string;
  /** Load only this program (our `object FILE program NAME`). */
  readonly program?: string;
  /** `prog load ... type TYPE`: the type every program gets. */
  readonly type?: { readonly type: number; readonly expectedAttachType: number };
  /** Maps to use instead of creating them (`map { idx | name } MAP`), by map name. */
  readonly reuseMaps?: ReadonlyMap<string, Fd>;
  /** Ours, transient: maps the object pins by name are not pinned (nothing outlives the run). */
  readonly transient?: boolean;
}

/**
 * A failed open or load: libbpf's explanation lines on stderr, bpftool's error (after the strict-mode note when
 * `warn`, as bpftool prints its p_info after its p_err). `silent`: bpftool gives up without an error line.
 */
function failure(ctx: Context, detail: string[], message: string, warn: boolean, silent = false): CliError {
  for (const line of detail) ctx.out.error(`libbpf: ${line}\n`);
  const error = new CliError(message, { silent });
  if (!warn) return error;
  return new WarnedError(ctx, error);
}

/** Prints bpftool's strict-mode note after the error line (the frame prints the error first). */
class WarnedError extends CliError {
  constructor(ctx: Context, error: CliError) {
    super(error.message, { silent: error.silent });
    ctx.defer(() => ctx.info(STRICT_MODE_WARNING));
  }
}

/** The object file, opened with bpftool 7.1's conventions (errors as bpftool's `failed to open object file`). */
export function openForBpftool(ctx: Context, path: string): ObjectSpec {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (error) {
    throw failure(ctx, [`elf: failed to open ${path}: ${describeErrno(error)}`], "failed to open object file", false);
  }
  let spec: ObjectSpec;
  try {
    spec = openObject(bytes, { path, sectionTable: "1.1", allowUnknownSections: true });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw failure(ctx, [`elf: ${path}: ${why}`], "failed to open object file", false);
  }
  spec = asLibbpf61(ctx, spec);
  for (const map of spec.maps) {
    const flags = libbpf61MapFlags(map);
    if (flags !== map.flags) spec = setMap(spec, map.name, { flags });
  }
  return spec;
}

/**
 * What the kernel 6.1 tree's libbpf refuses at open that our loader accepts: legacy SEC("maps") definitions,
 * `.bss.*` sections other than `.bss` (skipped, so an instruction that refers to one fails the open) and
 * `.struct_ops.link` (skipped).
 */
function asLibbpf61(ctx: Context, spec: ObjectSpec): ObjectSpec {
  if (spec.maps.some((m) => m.kind === "legacy"))
    throw failure(
      ctx,
      ["elf: legacy map definitions in 'maps' section are not supported by libbpf v1.0+"],
      "failed to open object file",
      false,
    );
  let out = spec;
  for (const map of spec.maps) {
    // .struct_ops.link is a later libbpf's: 1.1 skips the section, and its programs fail to load unbound
    if (map.kind === "struct_ops" && map.section === ".struct_ops.link") {
      ctx.out.error(`libbpf: elf: skipping unrecognized data section ${map.section}\n`);
      out = setMap(out, map.name, { autocreate: false });
      continue;
    }
    if (map.kind !== "bss" || !map.section.startsWith(".bss.")) continue;
    for (const fn of [...spec.programs, ...spec.subprograms]) {
      const use = fn.relocations.find((r) => r.target.kind === "data" && r.target.map === map.name);
      if (use === undefined) continue;
      const offset = use.target.kind === "data" ? use.target.offset : 0;
      const symbol = spec.variables.find((v) => v.map === map.name && v.offset === offset)?.name ?? map.section;
      throw failure(
        ctx,
        [
          `elf: skipping section ${map.section} (size ${map.valueSize})`,
          `prog '${fn.name}': bad map relo against '${symbol}' in section '${map.section}'`,
        ],
        "failed to open object file",
        false,
      );
    }
    out = setMap(out, map.name, { autocreate: false });
  }
  // a struct_ops program no map binds has no attach target: the kernel refuses it (ENOTSUPP, 524)
  const bound = new Set(
    out.maps.filter((m) => m.autocreate !== false).flatMap((m) => m.structOps?.functions.map((f) => f.program) ?? []),
  );
  const unbound = out.programs.find((p) => p.type === BPF_PROG_TYPE_STRUCT_OPS && p.autoload && !bound.has(p.name));
  if (unbound !== undefined) {
    throw failure(
      ctx,
      [
        `prog '${unbound.name}': BPF program load failed: ERROR: strerror_r(524)=22`,
        `prog '${unbound.name}': failed to load: -524`,
        `failed to load object '${spec.name}'`,
      ],
      "failed to load object file",
      true,
    );
  }
  return out;
}

/** libbpf's list of section names, as its debug message prints it when a name is unknown. */
export function supportedSectionNames(): string {
  return sectionDefs("1.1")
    .map((d) => ` ${d.pattern}`)
    .join("");
}

/** Program types: the section names' (libbpf 1.1's table), or `type TYPE` for every program. */
function applyTypes(ctx: Context, spec: ObjectSpec, request: ObjectLoadRequest): ObjectSpec {
  let out = spec;
  for (const program of spec.programs) {
    if (request.type) {
      out = setProgram(out, program.name, request.type);
      continue;
    }
    if (program.secPattern !== undefined) continue;
    // bpftool asks libbpf again with every debug line printed, then gives up without an error of its own.
    throw failure(
      ctx,
      [
        `failed to guess program type from ELF section '${program.sectionName}'`,
        `supported section(type) names are:${supportedSectionNames()}`,
      ],
      "failed to guess program type",
      true,
      true,
    );
  }
  return out;
}

/** The object opened and typed for loading: bpftool's steps before bpf_object__load. */
export function prepareForBpftool(ctx: Context, request: ObjectLoadRequest): ObjectSpec {
  let spec = openForBpftool(ctx, request.path);
  spec = applyTypes(ctx, spec, request);
  if (request.program !== undefined && !spec.programs.some((p) => p.name === request.program)) {
    const names = spec.programs.map((p) => p.name).join(", ");
    throw new CliError(`no program named '${request.program}' in ${request.path}${names ? ` (has: ${names})` : ""}`);
  }
  if (request.transient) {
    for (const map of spec.maps) if (map.pinning === "by-name") spec = setMap(spec, map.name, { pinning: "none" });
  }
  return spec;
}

/** Opens and loads `request.path` into the run's backend; the collection is closed with the run. */
export async function loadForBpftool(
  ctx: Context,
  request: ObjectLoadRequest,
  prepared?: ObjectSpec,
): Promise<Collection> {
  const spec = prepared ?? prepareForBpftool(ctx, request);
  const backend = await ctx.objectBackend();
  environment ??= new Bpftool71Environment();
  let collection: Collection;
  try {
    collection = loadCollection(spec, {
      backend: ctx.options.debug ? loggingBackend(ctx, backend) : backend,
      environment,
      // bpftool -d: log_level 1 + 2 + 4 (every instruction and the stats), printed for each program
      logLevel: ctx.options.debug ? 1 | 2 | 4 : undefined,
      programs: request.program === undefined ? undefined : [request.program],
      reuseMaps: request.reuseMaps,
      onCoreTrace: ctx.options.debug ? (line) => ctx.debug(`libbpf: ${line}`) : undefined,
    });
  } catch (error) {
    throw loadFailure(ctx, error, request.path);
  }
  ctx.defer(() => collection.close());
  for (const warning of collection.warnings) ctx.debug(`libbpf: ${warning}`);
  return collection;
}

/** The backend, with each program's verifier log printed after it loads (bpftool -d shows them all). */
function loggingBackend(ctx: Context, backend: Backend): Backend {
  const loadProgram = (attrs: ProgLoadAttrs) => {
    const loaded = backend.loadProgram(attrs);
    if (loaded.log.length > 0) {
      ctx.debug(`libbpf: prog '${attrs.name ?? ""}': -- BEGIN PROG LOAD LOG --\n${loaded.log.join("\n")}`);
      ctx.debug("-- END PROG LOAD LOG --");
    }
    return loaded;
  };
  return new Proxy(backend, {
    get(target, prop) {
      if (prop === "loadProgram") return loadProgram;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A failed load (or dry run of one) as bpftool reports it: libbpf's lines, the error, the strict-mode note. */
export function loadFailure(ctx: Context, error: unknown, path: string): CliError {
  return failure(ctx, loadFailureLines(error, path), "failed to load object file", true);
}

/** libbpf's account of a failed load: the verifier log of a refused program, or the loader's reason. */
function loadFailureLines(error: unknown, path: string): string[] {
  const lines: string[] = [];
  if (error instanceof VerifierError) {
    const prog = /^prog '([^']+)'/.exec(error.message)?.[1] ?? "?";
    lines.push(`prog '${prog}': BPF program load failed: ${describeErrno(error)}`);
    lines.push(`prog '${prog}': -- BEGIN PROG LOAD LOG --\n${error.log.join("\n")}\n-- END PROG LOAD LOG --`);
    lines.push(`prog '${prog}': failed to load: -${errnoOf(error) ?? 22}`);
  } else {
    lines.push(error instanceof Error ? error.message.split("\n")[0]! : String(error));
  }
  lines.push(`failed to load object '${path}'`);
  return lines;
}
