// Test prerequisites: tools and kernel access some tests need.
// Locally a missing prerequisite skips the suite with a visible reason. Under CI (CI=true or
// BPFKIT_STRICT=1) it fails instead, so a test can never quietly skip on the machine that has the kernel.
//
// Checking a prerequisite is cheap and spawns nothing (a PATH lookup, a file check): describeWith runs at
// collection time, and a skipped suite's body still runs to collect its tests, so every real piece of work
// (spawning a tool, reading kernel files, loading programs) belongs in hooks or test bodies.
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from "vitest";
import { CAPSET_SYSCALLS } from "../../packages/kernel/src/capset-numbers.js";

export type Requirement =
  | "clang"
  | "llvm-readelf"
  | "bpftool"
  | "root"
  | "bpffs"
  | "vmlinux-btf"
  | "libbpf-dev"
  /** A cgroup v2 hierarchy is mounted (cgroup programs attach to a directory in it). */
  | "cgroup2"
  /**
   * This thread can clear its effective capabilities (capget/capset numbers known for the architecture) and
   * kernel.unprivileged_bpf_disabled is set, so bpf(2) then refuses with EPERM.
   */
  | "unprivileged-bpf-disabled"
  /** The machine is x86-64 (expectations that hold for its syscall table or vmlinux only). */
  | "x86_64";

export const strict = process.env.BPFKIT_STRICT === "1" || (process.env.CI ?? "") === "true";

/** True when `cmd` is an executable file in a PATH directory (no process is spawned). */
export function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      const file = join(dir, cmd);
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return true;
    } catch {}
  }
  return false;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function mounts(): string[][] {
  try {
    return readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" "));
  } catch {
    return [];
  }
}

/** Where cgroup v2 is mounted, or undefined. */
export function cgroup2Mount(): string | undefined {
  return mounts().find((f) => f[2] === "cgroup2")?.[1];
}

/** kernel.unprivileged_bpf_disabled (0 lets unprivileged users call bpf(2) for some commands). */
export function unprivilegedBpfDisabled(): number {
  try {
    return Number(readFileSync("/proc/sys/kernel/unprivileged_bpf_disabled", "utf8"));
  } catch {
    return 0;
  }
}

const probes: Record<Requirement, () => boolean> = {
  clang: () => onPath("clang-19"),
  "llvm-readelf": () => onPath("llvm-readelf-19"),
  bpftool: () => onPath("bpftool"),
  root: () => process.getuid?.() === 0,
  bpffs: () => mounts().some((f) => f[1] === "/sys/fs/bpf" && f[2] === "bpf"),
  "vmlinux-btf": () => readable("/sys/kernel/btf/vmlinux"),
  "libbpf-dev": () => readable("/usr/include/bpf/libbpf.h") && onPath("cc"),
  cgroup2: () => cgroup2Mount() !== undefined,
  "unprivileged-bpf-disabled": () => CAPSET_SYSCALLS[process.arch] !== undefined && unprivilegedBpfDisabled() !== 0,
  x86_64: () => process.arch === "x64",
};

const cache = new Map<Requirement, boolean>();

/** Requirements from the list that this machine lacks. */
export function missing(reqs: readonly Requirement[]): Requirement[] {
  return reqs.filter((r) => {
    let ok = cache.get(r);
    if (ok === undefined) {
      ok = probes[r]();
      cache.set(r, ok);
    }
    return !ok;
  });
}

/**
 * `describe` that needs tools or kernel access. Missing prerequisites skip the suite with the reason in its
 * name, or fail it under CI.
 */
export function describeWith(reqs: readonly Requirement[], name: string, fn: () => void): void {
  const lacking = missing(reqs);
  if (lacking.length === 0) {
    describe(name, fn);
  } else if (strict) {
    describe(name, () => {
      it("has its prerequisites", () => {
        throw new Error(`prerequisites missing under CI: ${lacking.join(", ")}`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: needs ${lacking.join(", ")}]`, fn);
  }
}

/** `it` with its own prerequisites inside a suite that has others: skipped out loud locally, failed under CI. */
export function itWith(reqs: readonly Requirement[], name: string, fn: () => unknown, timeout?: number): void {
  const lacking = missing(reqs);
  if (lacking.length === 0) it(name, fn, timeout);
  else if (strict)
    it(name, () => {
      throw new Error(`prerequisites missing under CI: ${lacking.join(", ")}`);
    });
  else it.skip(`${name} [skipped: needs ${lacking.join(", ")}]`, fn);
}

const MULTIARCH: Readonly<Record<string, string>> = {
  x64: "x86_64-linux-gnu",
  arm64: "aarch64-linux-gnu",
  arm: "arm-linux-gnueabihf",
  ppc64: "powerpc64le-linux-gnu",
  s390x: "s390x-linux-gnu",
  riscv64: "riscv64-linux-gnu",
};

/**
 * clang's `-I` for this machine's multiarch include directory (Debian keeps `asm/types.h`, which
 * `linux/bpf.h` includes, under /usr/include/<triplet>). Empty where the architecture is unknown.
 */
export function multiarchIncludes(): string[] {
  const triplet = MULTIARCH[process.arch];
  return triplet === undefined ? [] : [`-I/usr/include/${triplet}`];
}

/**
 * A temporary directory for the enclosing suite: created in beforeAll, removed with its contents in afterAll.
 * Call it in a describe body; read the path (the returned function) only in hooks and tests.
 */
export function useTempDir(prefix = "bpfkit-test-"): () => string {
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error("useTempDir: read the path in a hook or test, not at collection time");
    return dir;
  };
}

let pinRoots = 0;

/**
 * A fresh bpffs directory for each test of the enclosing suite (`/sys/fs/bpf/bpfkit-<pid>-<n>`), removed with
 * every pin in it after the test. Test files run in parallel, so no test pins at a shared global path.
 */
export function usePinRoot(): () => string {
  let dir: string | undefined;
  beforeEach(() => {
    dir = `/sys/fs/bpf/bpfkit-${process.pid}-${++pinRoots}`;
    mkdirSync(dir);
  });
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error("usePinRoot: read the path in a test, not at collection time");
    return dir;
  };
}

function lockHolderAlive(path: string): boolean {
  try {
    const pid = Number(readFileSync(path, "utf8"));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Holds a machine-wide lock named `name` for the enclosing suite (beforeAll to afterAll), for kernel state that
 * only one test file at a time may own: test files run in parallel, and e.g. a struct_ops congestion control
 * name can be registered once. A lock left by a dead process is taken over.
 */
export function useMachineLock(name: string, timeoutMs = 60_000): void {
  // Per user: only root touches the kernel state these guard, and a user cannot remove another's file in /tmp.
  const path = join(tmpdir(), `bpfkit-lock-${process.getuid?.() ?? 0}-${name}`);
  let held = false;
  beforeAll(async () => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const fd = openSync(path, "wx");
        writeSync(fd, String(process.pid));
        closeSync(fd);
        held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      if (!lockHolderAlive(path)) rmSync(path, { force: true });
      else if (Date.now() > deadline) throw new Error(`lock ${path} still held after ${timeoutMs} ms`);
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }, timeoutMs + 5_000);
  afterAll(() => {
    if (held) rmSync(path, { force: true });
    held = false;
  });
}
