// Shared by the `bpftool map` oracle tests: the fixture's maps loaded by the real bpftool under a test's own bpffs
// directory, filled with the real bpftool, and the words of map commands.
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { theirsOk } from "./bpftool-oracle-support.js";

export const MAPS_FIXTURE = fileURLToPath(new URL("./fixtures/bpftool_maps.bpf.o", import.meta.url));

/** Loads the fixture's programs under `<root>/x` and pins its maps under `<root>/maps`. */
export function loadMapsFixture(root: string): void {
  theirsOk(["prog", "loadall", MAPS_FIXTURE, `${root}/x`, "pinmaps", `${root}/maps`]);
}

/** Runs the lines as one `bpftool batch file` (much faster than one process per update). */
export function theirsBatch(lines: readonly string[]): void {
  const file = join(tmpdir(), `bpfkit-map-batch-${process.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  try {
    theirsOk(["batch", "file", file]);
  } finally {
    rmSync(file, { force: true });
  }
}

/** `map create PATH SPEC name NAME [MORE]`, SPEC written as one line ("type hash key 4 value 4 entries 4"). */
export function createArgs(path: string, spec: string, name: string, ...more: string[]): string[] {
  return ["map", "create", path, ...spec.split(" "), "name", name, ...more];
}

/** A deterministic byte sequence: `n` bytes starting from `seed`. */
export function pattern(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (seed + i * 37) & 0xff);
}

export const bytes = (values: readonly number[]) => values.map(String);

/** Little-endian bytes of a 32-bit number, as bpftool key words. */
export const u32 = (n: number) => bytes([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);
