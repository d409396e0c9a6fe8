// Builds the uprobe/USDT target (test/uprobe-target.c) with clang-19 into a test's temporary directory: a shared
// library with a versioned function and a USDT probe, and three executables linked to it that lay their code out
// differently: a PIE (addresses equal file offsets in its text), a non-PIE (absolute addresses at 0x400000) and a
// PIE linked at base 0x10000 (no address equals its file offset). clang links with the system's binutils ld here,
// whose readelf and objdump the tests use as oracles.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export const TARGET_SOURCE = join(import.meta.dirname, "..", "uprobe-target.c");

export interface UprobeTargets {
  readonly dir: string;
  /** PIE executable. */
  readonly pie: string;
  /** Non-PIE executable (ET_EXEC). */
  readonly nopie: string;
  /** PIE linked at 0x10000. */
  readonly based: string;
  /** The shared library every executable loads (from `dir`, by rpath). */
  readonly lib: string;
}

export function buildUprobeTargets(dir: string): UprobeTargets {
  const lib = join(dir, "libbpfkit-target.so");
  const versions = join(dir, "versions.map");
  writeFileSync(versions, "BPFKIT_1 { global: bpfkit_lib_work; local: *; };\n");
  const cc = (args: string[]) =>
    execFileSync("clang-19", ["-O2", "-g", "-Wall", "-Werror", ...args], { stdio: "pipe" });
  cc(["-fPIC", "-shared", "-DBPFKIT_TARGET_LIB", `-Wl,--version-script=${versions}`, "-o", lib, TARGET_SOURCE]);
  const linked = ["-L", dir, "-lbpfkit-target", `-Wl,-rpath,${dir}`];
  const targets = {
    dir,
    pie: join(dir, "target-pie"),
    nopie: join(dir, "target-nopie"),
    based: join(dir, "target-based"),
    lib,
  };
  cc(["-pie", "-o", targets.pie, TARGET_SOURCE, ...linked]);
  cc(["-no-pie", "-o", targets.nopie, TARGET_SOURCE, ...linked]);
  cc(["-pie", "-Wl,-Ttext-segment=0x10000", "-o", targets.based, TARGET_SOURCE, ...linked]);
  return targets;
}
