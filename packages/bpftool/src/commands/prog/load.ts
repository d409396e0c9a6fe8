// `prog load OBJ PATH` (the first program pinned at PATH) and `prog loadall OBJ PATH` (every program pinned under
// the directory PATH, by function name), with `type TYPE`, `map { idx IDX | name NAME } MAP`, `dev NAME` and
// `pinmaps DIR`: bpftool's load_with_options. A failure after the object is loaded unpins what was pinned, so a
// failed command leaves no pin and no descriptor behind. `autoattach` (newer bpftool's; 7.1.0 has none) attaches
// each program where its SEC() name says and pins the link instead of the program.
import { mkdirSync, unlinkSync } from "node:fs";
import type { Collection, KernelBackend, Link, ProgramHandle } from "@bpfkit/kernel";
import { attachPlan, type Fd, findSectionDef, type ObjectSpec } from "@bpfkit/loader";
import type { Args, CommandResult } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf, strerror } from "../../cli/errors.js";
import { resolveMap } from "../../cli/map-spec.js";
import { ifNameToIndex } from "../../cli/netdev.js";
import { strtoul } from "../../cli/strtoul.js";
import { loadForBpftool, prepareForBpftool, STRICT_MODE_WARNING, supportedSectionNames } from "./object.js";
import { libbpfCheckPinPath, mountBpffsForPin } from "./pin.js";

/** Where libbpf pins LIBBPF_PIN_BY_NAME maps (bpftool sets no other pin root). */
const BY_NAME_ROOT = "/sys/fs/bpf";

interface MapReplace {
  idx: number;
  readonly name: string | undefined;
  readonly fd: Fd;
}

/** libbpf's debug lines for an unknown type name, printed on stderr as bpftool asks for them. */
function unknownTypeLines(ctx: Context, name: string): void {
  ctx.out.error(`libbpf: failed to guess program type from ELF section '${name}'\n`);
  ctx.out.error(`libbpf: supported section(type) names are:${supportedSectionNames()}\n`);
}

/** `type TYPE`: libbpf_prog_type_by_name(TYPE), else with a '/' appended (bpftool's retry). */
function parseType(ctx: Context, word: string): { type: number; expectedAttachType: number } {
  const def = findSectionDef(word, "1.1") ?? findSectionDef(`${word}/`, "1.1");
  if (def === undefined) {
    unknownTypeLines(ctx, `${word}/`);
    throw new CliError("unknown program type", { silent: true });
  }
  return { type: def.progType, expectedAttachType: def.attachType };
}

/** An error after the object was opened: bpftool's p_err, then its strict-mode note. */
function afterOpen(ctx: Context, message: string, silent = false): CliError {
  ctx.defer(() => ctx.info(STRICT_MODE_WARNING));
  return new CliError(message, { silent });
}

function unpinAll(paths: readonly string[]): void {
  for (const path of [...paths].reverse()) {
    try {
      unlinkSync(path);
    } catch {}
  }
}

/**
 * `DIR/<function name>` for each program, all or none (libbpf's bpf_object__pin_programs and newer bpftool's
 * auto_attach_programs): `place` pins or attaches one program and says whether it worked; on the first failure what
 * was placed is unpinned and the command fails.
 */
function placeEachProgram(
  ctx: Context,
  spec: ObjectSpec,
  loaded: Collection,
  dir: string,
  place: (name: string, handle: ProgramHandle | undefined, path: string) => boolean,
): string[] {
  const done: string[] = [];
  for (const program of spec.programs) {
    const path = `${dir}/${program.name}`;
    if (!place(program.name, loaded.programs.get(program.name), path)) {
      unpinAll(done);
      throw afterOpen(ctx, "failed to pin all programs");
    }
    done.push(path);
  }
  return done;
}

/** libbpf's bpf_object__pin_programs: each program pinned at `DIR/<function name>`. */
function pinPrograms(
  ctx: Context,
  backend: KernelBackend,
  spec: ObjectSpec,
  loaded: Collection,
  dir: string,
): string[] {
  return placeEachProgram(ctx, spec, loaded, dir, (name, handle, path) => {
    if (handle === undefined) {
      ctx.out.error(`libbpf: prog '${name}': can't pin program that wasn't loaded\n`);
      return false;
    }
    if (libbpfCheckPinPath(ctx, path) !== 0) return false;
    try {
      backend.pin(handle.fd, path);
    } catch (error) {
      ctx.out.error(`libbpf: prog '${name}': failed to pin at '${path}': ${describeErrno(error)}\n`);
      return false;
    }
    ctx.debug(`libbpf: prog '${name}': pinned at '${path}'`);
    return true;
  });
}

/** libbpf's bpf_object__pin_maps(DIR): `DIR/<map name>` with every '.' of the path made '_'; all or none. */
function pinMaps(
  ctx: Context,
  backend: KernelBackend,
  spec: ObjectSpec,
  loaded: Collection,
  dir: string,
  names: ReadonlyMap<string, string>,
): boolean {
  const done: string[] = [];
  for (const mapSpec of spec.maps) {
    const handle = loaded.maps.get(mapSpec.name);
    if (handle === undefined) continue; // not created (autocreate off)
    const name = names.get(mapSpec.name) ?? mapSpec.name;
    const path = `${dir}/${name}`.replaceAll(".", "_");
    if (mapSpec.pinning === "by-name") {
      // pinned by name at load already: libbpf pins a map at one path only
      const byName = `${BY_NAME_ROOT}/${mapSpec.name}`;
      if (path === byName) continue;
      ctx.out.error(`libbpf: map '${name}' already has pin path '${byName}' different from '${path}'\n`);
      unpinAll(done);
      return false;
    }
    let failed = libbpfCheckPinPath(ctx, path) !== 0;
    if (!failed) {
      try {
        backend.pin(handle.fd, path);
        done.push(path);
        ctx.debug(`libbpf: pinned map '${path}'`);
      } catch (error) {
        ctx.out.error(`libbpf: map '${name}': failed to pin at '${path}': ${describeErrno(error)}\n`);
        failed = true;
      }
    }
    if (failed) {
      unpinAll(done);
      return false;
    }
  }
  return true;
}

async function loadWithOptions(ctx: Context, args: Args, firstOnly: boolean): Promise<CommandResult> {
  args.reqArgs(2);
  const file = args.next();
  const pinfile = args.next();
  let type: { type: number; expectedAttachType: number } | undefined;
  const replace: MapReplace[] = [];
  let ifindex = 0;
  let pinmaps: string | undefined;
  let autoattach = false;
  const closeReplacements = () => {
    for (const r of replace) r.fd.close();
  };
  try {
    while (!args.done) {
      if (args.is("type")) {
        args.skip();
        if (type !== undefined) throw new CliError("program type already specified");
        args.reqArgs(1);
        type = parseType(ctx, args.next());
      } else if (args.is("map")) {
        args.skip();
        args.reqArgs(4);
        let idx = -1;
        let name: string | undefined;
        if (args.is("idx")) {
          args.skip();
          const word = args.next();
          const parsed = strtoul(word);
          if (!parsed.complete) throw new CliError(`can't parse ${word} as IDX`);
          idx = Number(BigInt.asIntN(32, parsed.value));
        } else if (args.is("name")) {
          args.skip();
          name = args.next();
        } else {
          throw new CliError(`expected 'idx' or 'name', got: '${args.peek()}'?`);
        }
        const fd = await resolveMap(ctx, args);
        replace.push({ idx, name, fd });
      } else if (args.is("dev")) {
        args.skip();
        if (ifindex !== 0) throw new CliError("offload device already specified");
        args.reqArgs(1);
        const dev = args.next();
        ifindex = ifNameToIndex(dev) ?? 0;
        if (ifindex === 0) throw new CliError(`unrecognized netdevice '${dev}': ${strerror(19)}`);
      } else if (args.is("pinmaps")) {
        args.skip();
        args.reqArgs(1);
        pinmaps = args.next();
      } else if (args.is("autoattach")) {
        args.skip();
        autoattach = true;
      } else {
        throw new CliError(`expected no more arguments, 'type', 'map' or 'dev', got: '${args.peek()}'?`);
      }
    }
    return await loadAndPin(ctx, { file, pinfile, type, replace, ifindex, pinmaps, firstOnly, autoattach });
  } finally {
    closeReplacements();
  }
}

interface LoadRequest {
  readonly file: string;
  readonly pinfile: string;
  readonly type: { type: number; expectedAttachType: number } | undefined;
  readonly replace: MapReplace[];
  readonly ifindex: number;
  readonly pinmaps: string | undefined;
  readonly firstOnly: boolean;
  /** Pin each program's auto-attach link instead of the program (the program when it has none). */
  readonly autoattach: boolean;
}

/** bpftool's map replacement bookkeeping: names to indices, sorted, each index once and each one used. */
function reuseByName(ctx: Context, spec: ObjectSpec, replace: MapReplace[]): Map<string, Fd> {
  for (const r of replace) {
    if (r.name === undefined) continue;
    r.idx = spec.maps.findIndex((m) => m.name === r.name);
    if (r.idx < 0) throw afterOpen(ctx, `unable to find map '${r.name}'`);
  }
  const sorted = [...replace].sort((a, b) => a.idx - b.idx);
  const reuse = new Map<string, Fd>();
  let j = 0;
  spec.maps.forEach((map, idx) => {
    if (j < sorted.length && sorted[j]!.idx === idx) {
      reuse.set(map.name, sorted[j++]!.fd);
      if (j < sorted.length && sorted[j]!.idx === idx)
        throw afterOpen(ctx, `replacement for map idx ${idx} specified more than once`);
    }
  });
  if (j < sorted.length) throw afterOpen(ctx, `map idx '${sorted[j]!.idx}' not used`);
  return reuse;
}

async function loadAndPin(ctx: Context, request: LoadRequest): Promise<CommandResult> {
  const spec = prepareForBpftool(ctx, { path: request.file, type: request.type });
  const reuseMaps = reuseByName(ctx, spec, request.replace);
  if (request.ifindex !== 0) {
    ctx.out.error("libbpf: offloading programs to a device is not supported here\n");
    throw afterOpen(ctx, "failed to load object file");
  }
  const collection = await loadForBpftool(ctx, { path: request.file, reuseMaps }, spec);
  try {
    pinLoaded(ctx, await ctx.backend(), request, spec, collection, reuseMaps);
  } finally {
    // bpftool's bpf_object__close: what is not pinned goes with it (now, not at the end of a batch)
    collection.close();
  }
  ctx.json?.null();
  return 0;
}

/** The pins `load`/`loadall` make once the object is loaded; each failure removes the pins made before it. */
function pinLoaded(
  ctx: Context,
  backend: KernelBackend,
  request: LoadRequest,
  spec: ObjectSpec,
  collection: Collection,
  reuseMaps: ReadonlyMap<string, Fd>,
): void {
  try {
    mountBpffsForPin(ctx, request.pinfile);
  } catch (error) {
    if (error instanceof CliError) throw afterOpen(ctx, error.message);
    throw error;
  }
  let pinned: string[];
  if (request.firstOnly) {
    const first = spec.programs[0];
    if (first === undefined) throw afterOpen(ctx, "object file doesn't contain any bpf program");
    const handle = collection.programs.get(first.name);
    try {
      if (handle === undefined) throw new Error("not loaded");
      if (!request.autoattach) backend.pin(handle.fd, request.pinfile);
      else if (autoAttachProgram(ctx, backend, handle, request.pinfile) !== 0) throw new Error("not pinned");
    } catch {
      throw afterOpen(ctx, `failed to pin program ${first.sectionName}`);
    }
    pinned = [request.pinfile];
  } else if (request.autoattach) {
    pinned = autoAttachPrograms(ctx, backend, spec, collection, request.pinfile);
  } else {
    pinned = pinPrograms(ctx, backend, spec, collection, request.pinfile);
  }
  if (request.pinmaps !== undefined) {
    // a reused map is pinned under the name the kernel gave it (libbpf adopts it with bpf_map__reuse_fd)
    const names = new Map<string, string>();
    for (const [name, fd] of reuseMaps) names.set(name, backend.mapInfo(fd).name);
    if (!pinMaps(ctx, backend, spec, collection, request.pinmaps, names)) {
      unpinAll(pinned);
      throw afterOpen(ctx, "failed to pin all maps");
    }
  }
}

/**
 * Newer bpftool's auto_attach_program: the program attached where its SEC() name says (libbpf's
 * bpf_program__attach) and the link pinned at `path`; a program that cannot be attached so (none of a target in
 * its SEC() name, or the attachment failed) is pinned itself, with a note. 0, or -errno when nothing was pinned.
 */
function autoAttachProgram(ctx: Context, backend: KernelBackend, program: ProgramHandle, path: string): number {
  let link: Link;
  try {
    link = program.attach();
  } catch (error) {
    // libbpf is silent when the section has no attach function, and warns when the attachment failed
    const plan = attachPlan(program.spec);
    if (plan.kind !== "manual" && plan.kind !== "struct_ops") {
      ctx.out.error(`libbpf: prog '${program.name}': failed to auto-attach: ${(error as Error).message}\n`);
    }
    ctx.info(`Program ${program.name} does not support autoattach, falling back to pinning`);
    try {
      backend.pin(program.fd, path);
      return 0;
    } catch (pinError) {
      return -(errnoOf(pinError) ?? 1);
    }
  }
  try {
    // bpf_link__pin: libbpf's parent directory and bpffs checks, then BPF_OBJ_PIN
    const checked = libbpfCheckPinPath(ctx, path);
    if (checked !== 0) return checked;
    link.pin(path);
    ctx.debug(`libbpf: link fd=${link.fd?.value}: pinned at ${path}`);
    return 0;
  } catch (error) {
    return -(errnoOf(error) ?? 1);
  } finally {
    // bpf_link__destroy: a pinned link stays attached, one that could not be pinned is detached
    link.close();
  }
}

/** Newer bpftool's auto_attach_programs: each program's link (or the program) pinned at `DIR/<function name>`. */
function autoAttachPrograms(
  ctx: Context,
  backend: KernelBackend,
  spec: ObjectSpec,
  loaded: Collection,
  dir: string,
): string[] {
  // the directory a program's pin needs when it falls back (a link's pin would make it, as libbpf's does)
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {}
  return placeEachProgram(
    ctx,
    spec,
    loaded,
    dir,
    (_name, handle, path) => handle !== undefined && autoAttachProgram(ctx, backend, handle, path) === 0,
  );
}

/** `prog load` pins what it loads, on bpffs: a kernel affair. */
const VM_NO_LOAD = "cannot load programs to pin them: PROG takes 'object FILE [program NAME]' with it";

export async function doLoad(ctx: Context, args: Args): Promise<CommandResult> {
  ctx.requireKernel(VM_NO_LOAD);
  return loadWithOptions(ctx, args, true);
}

export async function doLoadall(ctx: Context, args: Args): Promise<CommandResult> {
  ctx.requireKernel(VM_NO_LOAD);
  return loadWithOptions(ctx, args, false);
}
