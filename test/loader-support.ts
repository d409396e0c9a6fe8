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
  name: string;
  kversion: number;
  programs: OracleProgram[];
  maps: OracleMap[];
}

export function oracleOpen(path: string, mode: "open" | "load" = "open"): OracleObject {
  return JSON.parse(execFileSync(oracle(), [mode, path], { encoding: "utf8" })) as OracleObject;
}

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
