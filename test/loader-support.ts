// Test support for @bpfkit/loader: fixture paths, the libbpf 1.1 oracle (bench/c/loader_oracle.c, compiled per
// suite into a temporary directory) and reference loads by libbpf kept off the bpffs paths other files use.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll } from "vitest";
import { useTempDir } from "./support/env.js";

export const fixturesDir = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const oracleSource = fileURLToPath(new URL("../bench/c/loader_oracle.c", import.meta.url));

/** Little-endian fixtures that libbpf 1.1 opens. */
export const FIXTURES = [
  "xdp_pass",
  "xdp_parse",
  "globals",
  "bss_custom",
  "subprogs",
  "maps",
  "core_task",
  "externs",
  "sections",
  "loader_extra",
] as const;

export function fixturePath(name: string): string {
  return join(fixturesDir, name.includes(".") ? name : `${name}.bpf.o`);
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name)));
}

/** Where libbpf pins LIBBPF_PIN_BY_NAME maps (its default pin root; bpftool 7.1 has no option to change it). */
export const BPFFS = "/sys/fs/bpf";

/**
 * `file args` as a command that sees `dir` (a directory on bpffs) as /sys/fs/bpf: a private mount namespace
 * with `dir` bind-mounted over it. libbpf pins by-name maps at /sys/fs/bpf/<name>, a path every test file would
 * share; this way they land in the test's own pin root. Paths the tool is given under /sys/fs/bpf are paths
 * under `dir` outside. Needs root (CAP_SYS_ADMIN) and util-linux's unshare.
 */
export function withBpffsAt(dir: string, file: string, args: readonly string[]): [string, string[]] {
  mkdirSync(dir, { recursive: true });
  const script = `mount --bind "$0" ${BPFFS} && exec "$@"`;
  return ["unshare", ["--mount", "--propagation", "private", "sh", "-c", script, dir, file, ...args]];
}

/** `bpftool prog loadall <object>` with `dir` as its /sys/fs/bpf; returns the directory its programs are pinned in. */
export function bpftoolLoadAll(object: string, dir: string): string {
  execFileSync(...withBpffsAt(dir, "bpftool", ["prog", "loadall", object, `${BPFFS}/progs`]), { stdio: "pipe" });
  return join(dir, "progs");
}

export interface OracleProgram {
  name: string;
  section: string;
  type: number;
  attach: number;
  flags: number;
  autoload: boolean;
  insn_cnt: number;
  insns?: string[];
}

export interface OracleMap {
  name: string;
  type: number;
  key_size: number;
  value_size: number;
  max_entries: number;
  flags: number;
  numa_node: number;
  map_extra: number;
  key_type_id: number;
  value_type_id: number;
  pin_path: string;
  initial: string;
}

export interface OracleObject {
  error?: number;
  load_error?: number;
  name: string;
  kversion: number;
  programs: OracleProgram[];
  maps: OracleMap[];
}

export interface LoaderOracle {
  /** libbpf 1.1 open of an object. */
  open(path: string): OracleObject;
  /**
   * libbpf 1.1 open + load, with `bpffsDir` (a directory on bpffs, e.g. the test's pin root) as its /sys/fs/bpf
   * for by-name map pins. `keepGoing`: report the relocated instructions even when the kernel refuses the load
   * (`load_error` then holds libbpf's error).
   */
  load(path: string, bpffsDir: string, options?: { skip?: readonly string[]; keepGoing?: boolean }): OracleObject;
  /** libbpf_prog_type_by_name for each name: [progType, attachType, rc]. */
  sectionTypes(names: readonly string[]): Map<string, [number, number, number]>;
  /**
   * Which of `programs` libbpf 1.1 fails to load on this machine, each loaded alone (every other program of the
   * object with autoload off): name → libbpf's error (-1 is EPERM). What the kernel refuses is the machine's
   * business (trampolines, BPF LSM, lockdown), so tests learn it here instead of listing it.
   */
  refused(path: string, bpffsDir: string, programs: readonly string[]): Map<string, number>;
}

/**
 * The oracle for the enclosing suite (needs cc + libbpf-dev): compiled in beforeAll into a temporary directory
 * removed after the suite. Call it in a describe body; use the result in tests.
 */
export function useLoaderOracle(): LoaderOracle {
  const dir = useTempDir("bpfkit-loader-oracle-");
  let binary: string | undefined;
  beforeAll(() => {
    binary = join(dir(), "loader_oracle");
    execFileSync("cc", ["-O2", "-o", binary, oracleSource, "-lbpf"], { stdio: "pipe" });
  });
  const path = () => {
    if (binary === undefined) throw new Error("useLoaderOracle: use the oracle in a test, not at collection time");
    return binary;
  };
  const run = (file: string, args: readonly string[], keepGoing = false): OracleObject => {
    const env = keepGoing ? { ...process.env, LOADER_ORACLE_KEEP_GOING: "1" } : process.env;
    return JSON.parse(execFileSync(file, args, { encoding: "utf8", env })) as OracleObject;
  };
  const oracle: LoaderOracle = {
    open: (object) => run(path(), ["open", object]),
    load: (object, bpffsDir, { skip = [], keepGoing = false } = {}) => {
      const args = skip.length > 0 ? ["load", object, skip.join(",")] : ["load", object];
      const [file, wrapped] = withBpffsAt(bpffsDir, path(), args);
      return run(file, wrapped, keepGoing);
    },
    sectionTypes: (names) => {
      const out = execFileSync(path(), ["sections"], { input: `${names.join("\n")}\n`, encoding: "utf8" });
      const result = new Map<string, [number, number, number]>();
      for (const line of out.split("\n")) {
        if (line === "") continue;
        const [name, type, attach, rc] = line.split("\t");
        result.set(name!, [Number(type), Number(attach), Number(rc)]);
      }
      return result;
    },
    refused: (object, bpffsDir, programs) => {
      const all = oracle.open(object).programs.map((p) => p.name);
      const refused = new Map<string, number>();
      for (const name of programs) {
        if (!all.includes(name)) throw new Error(`${object}: libbpf sees no program ${name}`);
        const error = oracle.load(object, bpffsDir, { skip: all.filter((n) => n !== name) }).error;
        if (error !== undefined) refused.set(name, error);
      }
      return refused;
    },
  };
  return oracle;
}

export function hex(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? []).toString("hex");
}

// ---- kernel facts for prepare/load tests (read here, in test code: the loader itself never reads files) ----
import { gunzipSync } from "node:zlib";
import { parseKallsyms } from "@bpfkit/asm";
import { Btf } from "../packages/btf/src/btf.js";
import { btfTarget, type CoreTargets, relocateCore } from "../packages/btf/src/core/index.js";
import type { CoreOptions, ExternInput } from "../packages/loader/src/prepare/index.js";
import { kernelBtfView } from "../packages/loader/src/prepare/index.js";

let vmlinux: Btf | undefined;
export function vmlinuxBtf(): Btf {
  vmlinux ??= Btf.parse(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));
  return vmlinux;
}

export function kernelRelease(): string {
  return readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
}

/** What libbpf 1.1 would read on this machine: /boot/config-$(uname -r) or /proc/config.gz, kallsyms, vmlinux BTF. */
export function kernelFacts(): ExternInput {
  let systemKconfig: string | undefined;
  try {
    systemKconfig = readFileSync(`/boot/config-${kernelRelease()}`, "utf8");
  } catch {
    systemKconfig = gunzipSync(readFileSync("/proc/config.gz")).toString("utf8");
  }
  const [a, b, c] = kernelRelease().split(/[.-]/).map(Number);
  return {
    systemKconfig,
    kernelVersion: (a! << 16) + (b! << 8) + Math.min(c!, 255),
    bpfCookie: true,
    kallsyms: parseKallsyms(readFileSync("/proc/kallsyms", "utf8")),
    vmlinux: kernelBtfView(vmlinuxBtf()),
  };
}

export function coreOptions(): CoreOptions<CoreTargets> {
  const btf = vmlinuxBtf();
  return { relocate: relocateCore, targets: { vmlinux: btfTarget("vmlinux", btf) } };
}

/** Slot hex strings with map fds (PSEUDO_MAP_FD/VALUE imm) zeroed, so two loads can be compared. */
export function normalizeFds(slots: readonly string[]): string[] {
  const out = [...slots];
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!;
    const src = Number.parseInt(s[2]!, 16);
    if (s.startsWith("18") && (src === 1 || src === 2)) out[i] = `${s.slice(0, 8)}00000000`;
    if (s.startsWith("18")) i++;
  }
  return out;
}

export function slotsHex(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 8) out.push(Buffer.from(bytes.subarray(i, i + 8)).toString("hex"));
  return out;
}
