// uprobes and uretprobes through the uprobe PMU, as libbpf's bpf_program__attach_uprobe_opts makes them: the
// perf event's config1 points to the binary's path, config2 is the file offset to probe (a function's, resolved
// with our ELF reader, plus an offset), config bit `retprobe` makes a return probe and config bits 32..63 carry the
// file offset of a USDT semaphore (ref_ctr_offset) the kernel counts attachments in. A pid narrows the probe to
// one process (the perf event is opened for that task on any CPU); without one it fires in every process that
// maps the binary. A bare name (no '/') is looked up in PATH, or for a shared object (`.so`, `.so.N`) in
// LD_LIBRARY_PATH and the system library directories, like libbpf does.

import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, resolve } from "node:path";
import { ElfError, type ElfExecutable, ElfLookupError, findFunction, parseExecutable } from "@bpfkit/elf";
import type { Fd } from "@bpfkit/loader";
import type { KernelBackend } from "../kernel-backend.js";
import { addressOf } from "../libc.js";
import type { Link } from "../link-handle.js";
import { AttachError } from "./errors.js";
import { linkPerfEvent, openPerfEvent } from "./perf-event.js";
import { probePmu } from "./tracefs.js";

export interface UprobeTarget {
  /** The executable or shared object: absolute, relative to the working directory, or a bare name to search. */
  readonly path: string;
  /** Function to probe; without it `offset` is the file offset itself. */
  readonly func?: string;
  /** Added to the function's file offset (default 0). */
  readonly offset?: number;
  readonly retprobe?: boolean;
  /** Only this process (default: every process). */
  readonly pid?: number;
  /** BPF cookie (bpf_get_attach_cookie). */
  readonly cookie?: bigint;
  /** File offset of a 16-bit semaphore the kernel increments while the probe is attached (USDT). */
  readonly refCtrOffset?: number;
}

const UPROBE_PMU = "/sys/bus/event_source/devices/uprobe";

/** Debian's multiarch directory for this machine's libraries, libbpf's third search place for shared objects. */
const MULTIARCH_LIB: Record<string, string> = {
  x64: "/lib/x86_64-linux-gnu",
  arm64: "/lib/aarch64-linux-gnu",
  arm: "/lib/arm-linux-gnueabihf",
  s390x: "/lib/s390x-linux-gnu",
  ppc64: "/lib/powerpc64le-linux-gnu",
  riscv64: "/lib/riscv64-linux-gnu",
};

/**
 * The path a uprobe is placed on: a path with a '/' as given (made absolute), a bare name searched in PATH then
 * /usr/bin:/usr/sbin for an executable, or, for `*.so` and `*.so.*`, in LD_LIBRARY_PATH, /usr/lib64:/usr/lib and
 * the multiarch library directory. AttachError NOT_FOUND when the search finds nothing.
 */
export function resolveBinaryPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  if (path.includes("/")) return resolve(path);
  const library = path.endsWith(".so") || path.includes(".so.");
  const lists = library
    ? [env.LD_LIBRARY_PATH, "/usr/lib64:/usr/lib", MULTIARCH_LIB[process.arch]]
    : [env.PATH, "/usr/bin:/usr/sbin"];
  const mode = library ? constants.R_OK : constants.R_OK | constants.X_OK;
  for (const list of lists) {
    for (const dir of (list ?? "").split(delimiter)) {
      if (dir === "") continue;
      const candidate = `${dir}/${path}`;
      try {
        accessSync(candidate, mode);
        return resolve(candidate);
      } catch {}
    }
  }
  throw new AttachError(
    "NOT_FOUND",
    `'${path}' not found in ${library ? "LD_LIBRARY_PATH or the library directories" : "PATH"} (give a path with a '/')`,
  );
}

/** Reads and parses a binary for probing; AttachError NOT_FOUND / BAD_TARGET naming it. */
export function readExecutable(path: string, what: string): ElfExecutable {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    throw new AttachError("NOT_FOUND", `${what}: cannot read ${path}: ${code || (error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return parseExecutable(bytes, { file: path });
  } catch (error) {
    throw elfAttachError(what, error);
  }
}

/** An ElfError as an AttachError: a missing function or probe is NOT_FOUND, anything else BAD_TARGET. */
export function elfAttachError(what: string, error: unknown): unknown {
  if (!(error instanceof ElfError)) return error;
  const code = error instanceof ElfLookupError && error.code === "NOT_FOUND" ? "NOT_FOUND" : "BAD_TARGET";
  return new AttachError(code, `${what}: ${error.message}`, { cause: error });
}

/** The bit the ref_ctr_offset field starts at in `config` (format/ref_ctr_offset reads "config:32-63"). */
export function refCtrShift(): number | undefined {
  try {
    const format = readFileSync(`${UPROBE_PMU}/format/ref_ctr_offset`, "utf8");
    return Number(/config:(\d+)/.exec(format)?.[1] ?? 32);
  } catch {
    return undefined;
  }
}

/** `uprobe /bin/app:main+0x4 (file offset 0x1194)` */
function describe(target: UprobeTarget, path: string, offset: number): string {
  const kind = target.retprobe ? "uretprobe" : "uprobe";
  const where = target.func
    ? `${target.func}${target.offset ? `+0x${target.offset.toString(16)}` : ""} (file offset 0x${offset.toString(16)})`
    : `0x${offset.toString(16)}`;
  return `${kind} ${path}:${where}${target.pid !== undefined && target.pid >= 0 ? ` pid ${target.pid}` : ""}`;
}

export function attachUprobe(backend: KernelBackend, prog: Fd, target: UprobeTarget): Link {
  const kind = target.retprobe ? "uretprobe" : "uprobe";
  const path = resolveBinaryPath(target.path);
  let offset = target.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new AttachError("BAD_TARGET", `${kind} ${path}: offset ${target.offset} is not a file offset`);
  }
  if (target.func !== undefined) {
    const what = `${kind} ${path}:${target.func}`;
    const exe = readExecutable(path, what);
    try {
      offset += findFunction(exe, target.func).offset;
    } catch (error) {
      throw elfAttachError(what, error);
    }
  }
  const what = describe(target, path, offset);
  const pmu = probePmu("uprobe", what);
  let config = target.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n;
  if (target.refCtrOffset) {
    const shift = refCtrShift();
    if (shift === undefined) {
      throw new AttachError(
        "NO_KERNEL_FEATURE",
        `${what}: this kernel's uprobe PMU has no ref_ctr_offset (USDT semaphores need Linux 4.20+)`,
      );
    }
    if (target.refCtrOffset >= 2 ** (64 - shift)) {
      throw new AttachError("BAD_TARGET", `${what}: semaphore offset 0x${target.refCtrOffset.toString(16)} too large`);
    }
    config |= BigInt(target.refCtrOffset) << BigInt(shift);
  }
  const name = new TextEncoder().encode(`${path}\0`);
  const pid = target.pid !== undefined && target.pid >= 0 ? target.pid : -1;
  const perfFd = openPerfEvent(
    {
      type: pmu.type,
      config,
      config1: BigInt(addressOf(name.buffer as ArrayBuffer)),
      config2: BigInt(offset),
      // one process on every CPU, or every process (on CPU 0: a uprobe event runs its program wherever it fires)
      pid,
      cpu: pid === -1 ? 0 : -1,
    },
    what,
    [name],
  );
  return linkPerfEvent(backend, prog, perfFd, what, target.cookie);
}
