// Shared by the bpftool oracle tests (test/bpftool-*.test.ts): our run, in-process, against the real bpftool 7.1.0
// on the same command line, the descriptors a run of ours must not leave open, and inputs several suites read.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { fixtureDir } from "./btf-dump-c-support.js";
import { ours, type Run, theirs } from "./support/bpftool.js";
import { openFds } from "./support/failures.js";

export const VMLINUX = "/sys/kernel/btf/vmlinux";

/** Every compiled fixture object (test/fixtures/*.o). */
export function fixtureObjects(): string[] {
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith(".o"))
    .map((f) => join(fixtureDir, f));
}

/** Runs bpftool and fails with its output when it does not succeed. */
export function theirsOk(args: readonly string[], input?: string): Run {
  const run = theirs(args, input);
  if (run.status !== 0) throw new Error(`bpftool ${args.join(" ")}: status ${run.status}\n${run.stdout}${run.stderr}`);
  return run;
}

/** Ours in-process; the run must leave no descriptor open. */
export async function oursClean(args: readonly string[]): Promise<Run> {
  const before = openFds();
  const run = await ours(args);
  expect(openFds(), `descriptors left open by: ${args.join(" ")}`).toBe(before);
  return run;
}

/**
 * Ours and bpftool on the same command line: identical stdout, stderr and exit status, and no descriptor left
 * open by ours. A long stdout that differs is reported by its first differing line (a whole header or dump in a
 * failure message is unreadable).
 */
export async function same(args: readonly string[]): Promise<Run> {
  const a = await oursClean(args);
  const b = theirs(args);
  const label = args.join(" ");
  if (a.stdout !== b.stdout) {
    const mine = a.stdout.split("\n");
    const reference = b.stdout.split("\n");
    let line = 0;
    while (mine[line] === reference[line]) line++;
    expect({ line, ours: mine[line], bpftool: reference[line] }, label).toBeUndefined();
  }
  expect({ args: label, ...a }).toEqual({ args: label, ...b });
  return a;
}
