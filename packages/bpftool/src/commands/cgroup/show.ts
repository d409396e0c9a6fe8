// `bpftool cgroup show CGROUP [effective]` and `bpftool cgroup tree [CGROUP_ROOT] [effective]`: the programs
// attached to a cgroup (or that run for it, with `effective`) for every attach type bpftool 7.1 knows.
import { closeSync, existsSync, openSync, statSync } from "node:fs";
import { BPFTOOL_ATTACH_TYPE_NAMES, bpftoolAttachType } from "@bpfkit/asm";
import type { Btf } from "@bpfkit/btf";
import { type KernelBackend, QUERY_EFFECTIVE } from "@bpfkit/kernel";
import type { Args } from "../../cli/args.js";
import { vmlinuxBtf } from "../../cli/btf-by-id.js";
import type { Context } from "../../cli/context.js";
import { mountTable, readDirInOrder } from "../../cli/dirs.js";
import { CliError, describeErrno, errnoOf } from "../../cli/errors.js";
import { progFullName } from "../../cli/prog-spec.js";
import { printError } from "../report.js";

const EINVAL = 22;
const BPF_F_ALLOW_OVERRIDE = 1;
const BPF_F_ALLOW_MULTI = 2;
/** bpftool's prog_ids[1024]. */
const QUERY_CAPACITY = 1024;
/** The attach types bpftool 7.1 walks: 0 up to its __MAX_BPF_ATTACH_TYPE. */
const ATTACH_TYPES = BPFTOOL_ATTACH_TYPE_NAMES.length;

/**
 * What bpftool keeps in statics across one process (batch files included): which BTF id is vmlinux's, learnt
 * from the first program whose attach BTF object is vmlinux. Until then, a program without an attach BTF object
 * (id 0) matches "vmlinux id 0" and shows an empty attach_btf_name: a quirk of 7.1 kept as is.
 */
interface CgroupState {
  vmlinuxBtfId: number;
  vmlinux: Btf | null | undefined;
}
const states = new WeakMap<Context, CgroupState>();

function state(ctx: Context): CgroupState {
  let s = states.get(ctx);
  if (!s) {
    s = { vmlinuxBtfId: 0, vmlinux: undefined };
    states.set(ctx, s);
  }
  return s;
}

/** libbpf_find_kernel_btf, only parsed when a type name is needed (type 0, the void, has none). */
function vmlinux(s: CgroupState): Btf | null {
  if (s.vmlinux === undefined) {
    try {
      s.vmlinux = vmlinuxBtf();
    } catch {
      s.vmlinux = null;
    }
  }
  return s.vmlinux;
}

interface ShowOptions {
  readonly effective: boolean;
}

function attachFlagsText(flags: number): string {
  if (flags === BPF_F_ALLOW_MULTI) return "multi";
  if (flags === BPF_F_ALLOW_OVERRIDE) return "override";
  if (flags === 0) return "";
  return `unknown(${flags.toString(16)})`;
}

const pad = (text: string | number, width: number) => String(text).padEnd(width);

/** bpftool's show_bpf_prog: one attached program; nothing when it is gone. */
function showProg(
  ctx: Context,
  backend: KernelBackend,
  id: number,
  attachType: number,
  flags: string | undefined,
  level: number,
  haveVmlinux: boolean,
): void {
  let fd: ReturnType<KernelBackend["fdById"]>;
  try {
    fd = backend.fdById("prog", id);
  } catch {
    return;
  }
  try {
    const info = backend.progInfo(fd);
    const s = state(ctx);
    let attachBtfName: string | undefined;
    if (haveVmlinux) {
      if (s.vmlinuxBtfId === 0) s.vmlinuxBtfId = guessVmlinuxBtfId(backend, info.attachBtfObjId);
      if (s.vmlinuxBtfId === info.attachBtfObjId) {
        if (info.attachBtfId === 0) attachBtfName = "";
        else {
          const btf = vmlinux(s);
          if (btf && info.attachBtfId < btf.typeCount) attachBtfName = btf.type(info.attachBtfId).name;
        }
      }
    }
    const name = progFullName(backend, fd, info);
    const type = bpftoolAttachType(attachType);
    if (ctx.json) {
      const j = ctx.json;
      j.startObject().numberField("id", info.id);
      if (typeof type === "string") j.stringField("attach_type", type);
      else j.numberField("attach_type", type);
      if (flags !== undefined) j.stringField("attach_flags", flags);
      j.stringField("name", name);
      if (attachBtfName !== undefined) j.stringField("attach_btf_name", attachBtfName);
      j.numberField("attach_btf_obj_id", info.attachBtfObjId).numberField("attach_btf_id", info.attachBtfId);
      j.endObject();
      return;
    }
    let line = `${level ? "    " : ""}${pad(info.id, 8)} `;
    line += typeof type === "string" ? pad(type, 15) : `type ${pad(type, 10)}`;
    line += flags === undefined ? ` ${pad(name, 15)}` : ` ${pad(flags, 15)} ${pad(name, 15)}`;
    if (attachBtfName !== undefined) line += ` ${pad(attachBtfName, 15)}`;
    else if (info.attachBtfId)
      line += ` attach_btf_obj_id=${info.attachBtfObjId | 0} attach_btf_id=${info.attachBtfId | 0}`;
    ctx.out.print(`${line}\n`);
  } finally {
    fd.close();
  }
}

function guessVmlinuxBtfId(backend: KernelBackend, attachBtfObjId: number): number {
  try {
    const fd = backend.fdById("btf", attachBtfObjId);
    try {
      const info = backend.btfInfo(fd);
      return info.kernelBtf && info.name === "vmlinux" ? info.id : 0;
    } finally {
      fd.close();
    }
  } catch {
    return 0;
  }
}

/**
 * bpftool's show_bpf_progs for one attach type; false when the query failed (the type does not apply to cgroups,
 * or the kernel does not know it).
 */
function showProgs(
  ctx: Context,
  backend: KernelBackend,
  cgroup: number,
  attachType: number,
  level: number,
  opts: ShowOptions,
  haveVmlinux: boolean,
): boolean {
  let result: ReturnType<KernelBackend["progQuery"]>;
  try {
    result = backend.progQuery(cgroup, attachType, opts.effective ? QUERY_EFFECTIVE : 0, QUERY_CAPACITY);
  } catch {
    return false;
  }
  result.progIds.forEach((id, i) => {
    const flags = opts.effective ? undefined : attachFlagsText(result.progAttachFlags[i] || result.attachFlags);
    showProg(ctx, backend, id, attachType, flags, level, haveVmlinux);
  });
  return true;
}

/**
 * bpftool's cgroup_has_attached_progs: whether any attach type has a program; a query failing otherwise than with
 * EINVAL is an error (thrown with its errno).
 */
function hasAttachedProgs(backend: KernelBackend, cgroup: number, opts: ShowOptions): boolean {
  for (let type = 0; type < ATTACH_TYPES; type++) {
    let count: number;
    try {
      count = backend.progQueryCount(cgroup, type, opts.effective ? QUERY_EFFECTIVE : 0);
    } catch (error) {
      if (errnoOf(error) === EINVAL) continue;
      throw error;
    }
    if (count > 0) return true;
  }
  return false;
}

function parseEffective(args: Args): ShowOptions {
  let effective = false;
  while (!args.done) {
    const word = args.peek() as string;
    if (!args.is("effective")) throw new CliError(`expected no more arguments, 'effective', got: '${word}'?`);
    if (effective) throw new CliError(`duplicated argument: ${word}`);
    effective = true;
    args.skip();
  }
  return { effective };
}

function header(opts: ShowOptions): string {
  return opts.effective
    ? `${pad("ID", 8)} ${pad("AttachType", 15)} ${pad("Name", 15)}\n`
    : `${pad("ID", 8)} ${pad("AttachType", 15)} ${pad("AttachFlags", 15)} ${pad("Name", 15)}\n`;
}

/** O_RDONLY open of a cgroup directory, or the error. */
function openCgroup(path: string): number | Error {
  try {
    return openSync(path, "r");
  } catch (error) {
    return error as Error;
  }
}

export async function show(ctx: Context, args: Args): Promise<number> {
  args.reqArgs(1);
  const path = args.next();
  const opts = parseEffective(args);
  const cgroup = openCgroup(path);
  if (typeof cgroup !== "number") throw new CliError(`can't open cgroup ${path}`);
  try {
    const backend = await ctx.backend();
    let attached: boolean;
    try {
      attached = hasAttachedProgs(backend, cgroup, opts);
    } catch (error) {
      throw new CliError(`can't query bpf programs attached to ${path}: ${describeErrno(error)}`, { cause: error });
    }
    if (!attached) return 0;
    if (ctx.json) ctx.json.startArray();
    else ctx.out.print(header(opts));
    const haveVmlinux = existsSync("/sys/kernel/btf/vmlinux");
    let ret = -1;
    for (let type = 0; type < ATTACH_TYPES; type++) {
      if (showProgs(ctx, backend, cgroup, type, 0, opts, haveVmlinux)) ret = 0;
    }
    ctx.json?.endArray();
    return ret;
  } finally {
    closeSync(cgroup);
  }
}

function cgroup2Root(): string | undefined {
  return mountTable()?.find((m) => m.type === "cgroup2")?.dir;
}

/** Stops the walk where bpftool's nftw callback returns its error. */
class TreeStop extends Error {}

/**
 * nftw(root, ..., FTW_MOUNT) as bpftool walks the tree: directories before their contents, in the order the file
 * system lists them, not leaving the root's file system; `visit` gets each directory and its depth.
 */
function walkDirs(root: string, visit: (path: string, level: number) => void): void {
  const rootDev = statSync(root).dev;
  const recurse = (dir: string, level: number) => {
    visit(dir, level);
    for (const e of readDirInOrder(dir)) {
      const path = `${dir.endsWith("/") ? dir : `${dir}/`}${e.name}`;
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory() && st.dev === rootDev) recurse(path, level + 1);
    }
  };
  if (!statSync(root).isDirectory()) return;
  // glibc's nftw reports the root without its trailing slashes
  recurse(root.length > 1 ? root.replace(/\/+$/, "") || "/" : root, 0);
}

export async function tree(ctx: Context, args: Args): Promise<number> {
  let root: string;
  let opts: ShowOptions = { effective: false };
  if (args.done) {
    const found = cgroup2Root();
    if (found === undefined) throw new CliError("cgroup v2 isn't mounted");
    root = found;
  } else {
    root = args.next();
    opts = parseEffective(args);
  }
  const backend = await ctx.backend();
  if (ctx.json) ctx.json.startArray();
  else ctx.out.print(`CgroupPath\n${header(opts)}`);
  const haveVmlinux = existsSync("/sys/kernel/btf/vmlinux");
  let ret = 0;
  try {
    walkDirs(root, (path, level) => {
      const cgroup = openCgroup(path);
      if (typeof cgroup !== "number") {
        printError(ctx, `can't open cgroup ${path}: ${describeErrno(cgroup)}`);
        throw new TreeStop();
      }
      try {
        let attached: boolean;
        try {
          attached = hasAttachedProgs(backend, cgroup, opts);
        } catch (error) {
          printError(ctx, `can't query bpf programs attached to ${path}: ${describeErrno(error)}`);
          throw new TreeStop();
        }
        if (!attached) return;
        if (ctx.json) ctx.json.startObject().stringField("cgroup", path).name("programs").startArray();
        else ctx.out.print(`${path}\n`);
        for (let type = 0; type < ATTACH_TYPES; type++) showProgs(ctx, backend, cgroup, type, level, opts, haveVmlinux);
        ctx.json?.endArray().endObject();
      } finally {
        closeSync(cgroup);
      }
    });
  } catch (error) {
    if (error instanceof TreeStop) ret = -1;
    else {
      printError(ctx, `can't iterate over ${root}: ${describeErrno(error)}`);
      ret = -1;
    }
  }
  ctx.json?.endArray();
  return ret;
}
