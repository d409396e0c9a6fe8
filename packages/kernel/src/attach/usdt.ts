// USDT attachment the way libbpf's usdt.c does it for programs built with <bpf/usdt.bpf.h>: the probe's sites come
// from the binary's .note.stapsdt (@bpfkit/elf), each site's argument string (`-4@%edi 8@-16(%rbp) -4@$5`) becomes
// a `struct __bpf_usdt_spec` written into the program's `__bpf_usdt_specs` array map under a spec id, and one uprobe
// per site runs the program with that spec id as its BPF cookie, which is where bpf_usdt_arg() and
// bpf_usdt_cookie() look it up. Sites with the same argument string share a spec; ids are allocated per spec map
// (so per loaded object) and given back when the attachment closes. A site with a semaphore gets it as the uprobe's
// ref_ctr_offset: the kernel increments it in every process while the probe is attached.
//
// Not done: the __bpf_usdt_ip_to_spec_id map, which only kernels without BPF cookies (before 5.15) need (BPF links
// for perf events, which every attachment here uses, came later anyway), and argument specs of other
// architectures than x86-64. A program that does not use `__bpf_usdt_specs` (it reads no USDT argument) is still
// attached, with the spec ids as cookies, where libbpf insists on finding the map in the object.

import { findUsdtSites, type UsdtSite } from "@bpfkit/elf";
import type { Fd } from "@bpfkit/loader";
import type { KernelBackend } from "../kernel-backend.js";
import { Link } from "../link-handle.js";
import { AttachError } from "./errors.js";
import { attachUprobe, elfAttachError, readExecutable, refCtrShift, resolveBinaryPath } from "./uprobe.js";

export interface UsdtTarget {
  /** The executable or shared object with the probe (resolved like a uprobe's path). */
  readonly path: string;
  readonly provider: string;
  readonly name: string;
  /** Only this process (default: every process; 0: this one). */
  readonly pid?: number;
  /** The value bpf_usdt_cookie() returns (libbpf's usdt_cookie); the BPF cookie itself carries the spec id. */
  readonly cookie?: bigint;
}

/** enum __bpf_usdt_arg_type of usdt.bpf.h. */
export const UsdtArgType = { CONST: 0, REG: 1, REG_DEREF: 2 } as const;

/** One argument's location, as struct __bpf_usdt_arg_spec holds it. */
export interface UsdtArgSpec {
  /** CONST: the value; REG_DEREF: the offset added to the register (two's complement u64). */
  readonly valOff: bigint;
  readonly type: number;
  /** offsetof(struct pt_regs, register) for REG and REG_DEREF. */
  readonly regOff: number;
  readonly signed: boolean;
  /** 64 minus the argument's size in bits: how far to shift to clear (or sign-extend) the upper bits. */
  readonly bitshift: number;
}

/** BPF_USDT_MAX_ARG_CNT. */
export const USDT_MAX_ARG_COUNT = 12;
const ARG_SPEC_SIZE = 16;
/** sizeof(struct __bpf_usdt_spec): 12 argument specs, usdt_cookie (u64), arg_cnt (short), padded to 8. */
export const USDT_SPEC_SIZE = 208;
const SPEC_COOKIE = USDT_MAX_ARG_COUNT * ARG_SPEC_SIZE;
const SPEC_ARG_COUNT = SPEC_COOKIE + 8;
const SPECS_MAP = "__bpf_usdt_specs";
const MAP_TYPE_ARRAY = 2;
const EM_X86_64 = 62;

/** x86-64 struct pt_regs field offsets by the names a register goes by (64, 32, 16 and 8 bits). */
const X86_64_REGS: ReadonlyMap<string, number> = (() => {
  const table: [number, string[]][] = [
    [128, ["rip", "eip"]],
    [80, ["rax", "eax", "ax", "al"]],
    [40, ["rbx", "ebx", "bx", "bl"]],
    [88, ["rcx", "ecx", "cx", "cl"]],
    [96, ["rdx", "edx", "dx", "dl"]],
    [104, ["rsi", "esi", "si", "sil"]],
    [112, ["rdi", "edi", "di", "dil"]],
    [32, ["rbp", "ebp", "bp", "bpl"]],
    [152, ["rsp", "esp", "sp", "spl"]],
    [72, ["r8", "r8d", "r8w", "r8b"]],
    [64, ["r9", "r9d", "r9w", "r9b"]],
    [56, ["r10", "r10d", "r10w", "r10b"]],
    [48, ["r11", "r11d", "r11w", "r11b"]],
    [24, ["r12", "r12d", "r12w", "r12b"]],
    [16, ["r13", "r13d", "r13w", "r13b"]],
    [8, ["r14", "r14d", "r14w", "r14b"]],
    [0, ["r15", "r15d", "r15w", "r15b"]],
  ];
  return new Map(table.flatMap(([offset, names]) => names.map((n) => [n, offset] as const)));
})();

// The four x86-64 forms libbpf reads, in its order: N@OFF(%reg), N@(%reg), N@%reg, N@$IMM (blanks allowed around
// the pieces, as its sscanf patterns allow them)
const DEREF = /\s*([-+]?\d+)\s*@\s*([-+]?\d+)\s*\(\s*%([^)\s]+)\s*\)\s*/y;
const DEREF_NO_OFFSET = /\s*([-+]?\d+)\s*@\s*\(\s*%([^)\s]+)\s*\)\s*/y;
const REGISTER = /\s*([-+]?\d+)\s*@\s*%(\S+)\s*/y;
const CONSTANT = /\s*([-+]?\d+)\s*@\s*\$([-+]?\d+)\s*/y;

const U64 = (1n << 64n) - 1n;

function register(name: string, arg: string): number {
  const offset = X86_64_REGS.get(name);
  if (offset === undefined) throw new AttachError("BAD_TARGET", `USDT argument '${arg}': unknown register %${name}`);
  return offset;
}

/** One argument at `at`: its size, location and where the next one starts; undefined when no form matches. */
function parseOne(
  text: string,
  at: number,
  rest: string,
): { size: number; spec: Omit<UsdtArgSpec, "signed" | "bitshift">; end: number } | undefined {
  const exec = (pattern: RegExp) => {
    pattern.lastIndex = at;
    return pattern.exec(text);
  };
  const deref = exec(DEREF);
  if (deref) {
    const spec = { type: UsdtArgType.REG_DEREF, valOff: BigInt(deref[2]!) & U64, regOff: register(deref[3]!, rest) };
    return { size: Number(deref[1]), spec, end: DEREF.lastIndex };
  }
  const base = exec(DEREF_NO_OFFSET);
  if (base) {
    const spec = { type: UsdtArgType.REG_DEREF, valOff: 0n, regOff: register(base[2]!, rest) };
    return { size: Number(base[1]), spec, end: DEREF_NO_OFFSET.lastIndex };
  }
  const reg = exec(REGISTER);
  if (reg) {
    const spec = { type: UsdtArgType.REG, valOff: 0n, regOff: register(reg[2]!, rest) };
    return { size: Number(reg[1]), spec, end: REGISTER.lastIndex };
  }
  const constant = exec(CONSTANT);
  if (constant) {
    const spec = { type: UsdtArgType.CONST, valOff: BigInt(constant[2]!) & U64, regOff: 0 };
    return { size: Number(constant[1]), spec, end: CONSTANT.lastIndex };
  }
  return undefined;
}

/** The x86-64 argument specs of a note's argument string; AttachError BAD_TARGET for what libbpf refuses too. */
export function parseUsdtArgs(text: string): UsdtArgSpec[] {
  const specs: UsdtArgSpec[] = [];
  let at = 0;
  while (text.slice(at).trim() !== "") {
    if (specs.length >= USDT_MAX_ARG_COUNT) {
      throw new AttachError("BAD_TARGET", `USDT arguments '${text}': more than ${USDT_MAX_ARG_COUNT}`);
    }
    const rest = text.slice(at).trim().split(/\s+/)[0]!;
    const parsed = parseOne(text, at, rest);
    if (!parsed)
      throw new AttachError("BAD_TARGET", `USDT argument #${specs.length} '${rest}' of '${text}': unrecognized`);
    const { size, spec, end } = parsed;
    const bytes = Math.abs(size);
    if (![1, 2, 4, 8].includes(bytes)) {
      throw new AttachError("BAD_TARGET", `USDT argument #${specs.length} '${rest}': size ${size} is not 1, 2, 4 or 8`);
    }
    specs.push({ ...spec, signed: size < 0, bitshift: 64 - bytes * 8 });
    at = end;
  }
  return specs;
}

/** struct __bpf_usdt_spec for `args` (little-endian, as this x86-64 kernel reads it). */
export function encodeUsdtSpec(args: readonly UsdtArgSpec[], cookie: bigint, size = USDT_SPEC_SIZE): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  args.forEach((arg, i) => {
    const at = i * ARG_SPEC_SIZE;
    view.setBigUint64(at, arg.valOff, true);
    view.setUint32(at + 8, arg.type, true);
    view.setInt16(at + 12, arg.regOff, true);
    view.setUint8(at + 14, arg.signed ? 1 : 0);
    view.setInt8(at + 15, arg.bitshift);
  });
  view.setBigUint64(SPEC_COOKIE, BigInt.asUintN(64, cookie), true);
  view.setInt16(SPEC_ARG_COUNT, args.length, true);
  return bytes;
}

/** Spec ids of one `__bpf_usdt_specs` map (by kernel map id): the next never used, and those given back. */
const specIds = new Map<number, { next: number; free: number[] }>();

interface SpecsMap {
  readonly fd: Fd;
  readonly id: number;
  readonly maxEntries: number;
  readonly valueSize: number;
}

/** The program's `__bpf_usdt_specs` (an array map it uses, named so: the kernel keeps 15 characters). */
function findSpecsMap(backend: KernelBackend, prog: Fd): SpecsMap | undefined {
  let found: SpecsMap | undefined;
  for (const id of backend.progInfo(prog).mapIds) {
    const fd = backend.fdById("map", id);
    const info = backend.mapInfo(fd);
    if (!found && info.type === MAP_TYPE_ARRAY && info.name === SPECS_MAP.slice(0, 15)) {
      found = { fd, id, maxEntries: info.maxEntries, valueSize: info.valueSize };
    } else {
      fd.close();
    }
  }
  return found;
}

export function attachUsdt(backend: KernelBackend, prog: Fd, target: UsdtTarget): Link {
  const path = resolveBinaryPath(target.path);
  const probe = `${target.provider}:${target.name}`;
  const what = `usdt ${path}:${probe}`;
  const exe = readExecutable(path, what);
  if (exe.header.machine !== EM_X86_64 || process.arch !== "x64" || exe.header.endianness !== "little") {
    throw new AttachError(
      "BAD_TARGET",
      `${what}: USDT argument specs are read for x86-64 only (the binary's e_machine is ${exe.header.machine}, this machine is ${process.arch})`,
    );
  }
  let sites: UsdtSite[];
  try {
    sites = findUsdtSites(exe, target.provider, target.name);
  } catch (error) {
    throw elfAttachError(what, error);
  }
  if (sites.some((s) => s.semaphoreOffset !== 0) && refCtrShift() === undefined) {
    throw new AttachError(
      "NO_KERNEL_FEATURE",
      `${what}: the probe has a semaphore and this kernel's uprobes cannot count in it (no ref_ctr_offset: Linux 4.20+)`,
    );
  }
  const parsed = sites.map((site) => {
    try {
      return parseUsdtArgs(site.args);
    } catch (error) {
      (error as Error).message = `${what} at file offset 0x${site.offset.toString(16)}: ${(error as Error).message}`;
      throw error;
    }
  });
  const pid = target.pid === 0 ? process.pid : target.pid;
  const map = findSpecsMap(backend, prog);
  const ids = map ? (specIds.get(map.id) ?? { next: 0, free: [] }) : { next: 0, free: [] };
  if (map) specIds.set(map.id, ids);
  const taken: number[] = [];
  const release = () => {
    ids.free.push(...taken.reverse());
    taken.length = 0;
  };
  const children: Link[] = [];
  try {
    if (map && map.valueSize < SPEC_ARG_COUNT + 2) {
      throw new AttachError(
        "BAD_TARGET",
        `${what}: ${SPECS_MAP} has ${map.valueSize}-byte values, not struct __bpf_usdt_spec (${USDT_SPEC_SIZE})`,
      );
    }
    const byArgs = new Map<string, number>();
    sites.forEach((site, i) => {
      let id = byArgs.get(site.args);
      if (id === undefined) {
        id = ids.free.pop() ?? ids.next;
        if (map && id >= map.maxEntries) {
          throw new AttachError(
            "BAD_TARGET",
            `${what}: ${SPECS_MAP} is full (${map.maxEntries} specs; raise BPF_USDT_MAX_SPEC_CNT)`,
          );
        }
        if (id === ids.next) ids.next++;
        taken.push(id);
        byArgs.set(site.args, id);
        if (map) {
          const key = new Uint8Array(4);
          new DataView(key.buffer).setUint32(0, id, true);
          backend.mapUpdate(map.fd, key, encodeUsdtSpec(parsed[i]!, target.cookie ?? 0n, map.valueSize));
        }
      }
      children.push(
        attachUprobe(backend, prog, {
          path,
          offset: site.offset,
          pid,
          cookie: BigInt(id),
          refCtrOffset: site.semaphoreOffset,
        }),
      );
    });
  } catch (error) {
    for (const child of children) child.close();
    release();
    throw error;
  } finally {
    map?.fd.close();
  }
  const count = sites.length === 1 ? "1 site" : `${sites.length} sites`;
  const narrowed = pid !== undefined && pid >= 0 ? ` pid ${pid}` : "";
  return new Link(backend, { description: `${what} (${count})${narrowed}`, children, undo: release });
}
