// Test support for @bpfkit/loader: fixture paths and the libbpf 1.1 oracle (bench/c/loader_oracle.c, compiled
// once per test process into a temporary directory).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const fixturesDir = new URL("./fixtures/", import.meta.url).pathname;
export const oracleSource = new URL("../bench/c/loader_oracle.c", import.meta.url).pathname;

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

let oracleBinary: string | undefined;

/** Path of the compiled oracle (needs cc + libbpf-dev). */
export function oracle(): string {
  if (!oracleBinary) {
    const dir = mkdtempSync(join(tmpdir(), "bpfkit-loader-oracle-"));
    oracleBinary = join(dir, "loader_oracle");
    execFileSync("cc", ["-O2", "-o", oracleBinary, oracleSource, "-lbpf"], { stdio: "pipe" });
  }
  return oracleBinary;
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

/**
 * libbpf 1.1 open (or open + load) of an object. `keepGoing`: report the relocated instructions even when the
 * kernel refuses the load (`load_error` then holds libbpf's error).
 */
export function oracleOpen(
  path: string,
  mode: "open" | "load" = "open",
  skip: readonly string[] = [],
  keepGoing = false,
): OracleObject {
  const args = skip.length > 0 ? [mode, path, skip.join(",")] : [mode, path];
  const env = keepGoing ? { ...process.env, LOADER_ORACLE_KEEP_GOING: "1" } : process.env;
  return JSON.parse(execFileSync(oracle(), args, { encoding: "utf8", env })) as OracleObject;
}

/** Programs of the `sections` fixture this kernel refuses (fentry/fexit/lsm: EPERM). */
export const REFUSED_SECTIONS_PROGRAMS = ["sec_fentry", "sec_fexit", "sec_lsm"] as const;

/** libbpf_prog_type_by_name for each name: [progType, attachType, rc]. */
export function oracleSectionTypes(names: readonly string[]): Map<string, [number, number, number]> {
  const out = execFileSync(oracle(), ["sections"], { input: `${names.join("\n")}\n`, encoding: "utf8" });
  const result = new Map<string, [number, number, number]>();
  for (const line of out.split("\n")) {
    if (line === "") continue;
    const [name, type, attach, rc] = line.split("\t");
    result.set(name!, [Number(type), Number(attach), Number(rc)]);
  }
  return result;
}

export function hex(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? []).toString("hex");
}

// ---- kernel facts for prepare/load tests (read here, in test code: the loader itself never reads files) ----
import { gunzipSync } from "node:zlib";
import { parseKallsyms } from "@bpfkit/asm";
import {
  type CoreTargets,
  coreTarget,
  RawCoreBtf,
  rawNameIndex,
  relocateCore,
} from "../packages/btf/src/core/index.js";
import type { CoreOptions, ExternInput } from "../packages/loader/src/prepare/index.js";
import { kernelBtfView } from "../packages/loader/src/prepare/index.js";

let vmlinux: RawCoreBtf | undefined;
export function vmlinuxBtf(): RawCoreBtf {
  vmlinux ??= new RawCoreBtf(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));
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
  return { relocate: relocateCore, targets: { vmlinux: coreTarget("vmlinux", btf, rawNameIndex(btf)) } };
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
