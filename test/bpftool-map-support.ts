// Shared by the `bpftool map` oracle tests: the fixture's maps loaded by the real bpftool under a test's own bpffs
// directory, filled with the real bpftool, and a comparison of our run with bpftool's.
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { ours, type Run, theirs } from "./support/bpftool.js";

export const MAPS_FIXTURE = fileURLToPath(new URL("./fixtures/bpftool_maps.bpf.o", import.meta.url));

/** Descriptors this process has open (a command run in-process must leave the count as it was). */
export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** Runs bpftool and fails the test with its output when it does not succeed. */
export function theirsOk(args: readonly string[], input?: string): Run {
  const run = theirs(args, input);
  if (run.status !== 0) throw new Error(`bpftool ${args.join(" ")}: status ${run.status}\n${run.stdout}${run.stderr}`);
  return run;
}

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

/** A deterministic byte sequence: `n` bytes starting from `seed`. */
export function pattern(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (seed + i * 37) & 0xff);
}

export const bytes = (values: readonly number[]) => values.map(String);

/** Little-endian bytes of a 32-bit number, as bpftool key words. */
export const u32 = (n: number) => bytes([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);

/**
 * Runs `args` with ours (in the test process) and with bpftool: stdout, stderr and exit status must be identical,
 * and our run must leave no descriptor open.
 */
export async function same(args: readonly string[]): Promise<Run> {
  const before = openFds();
  const a = await ours(args);
  expect(openFds(), `descriptors left open by: ${args.join(" ")}`).toBe(before);
  const b = theirs(args);
  expect({ args: args.join(" "), ...a }).toEqual({ args: args.join(" "), ...b });
  return a;
}
