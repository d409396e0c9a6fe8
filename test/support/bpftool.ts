// Running bpftool command lines, ours and the real one, for tests that compare them.
// - `ours(args)` runs our CLI in this process (main() with a capturing sink): fast, for most comparisons;
// - `oursProcess(args)` runs the installed bin (node_modules/.bin/bpftool) as a user would: exit codes, start-up,
//   stdin, and anything that depends on a fresh process;
// - `theirs(args)` runs the real bpftool 7.1.0 (declare the "bpftool" requirement).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CaptureSink, main } from "@bpfkit/bpftool";

export interface Run {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status (0-255). */
  readonly status: number;
}

export const BPFTOOL_BIN = fileURLToPath(new URL("../../node_modules/.bin/bpftool", import.meta.url));

export async function ours(args: readonly string[]): Promise<Run> {
  const sink = new CaptureSink();
  const status = await main(args, sink);
  return { stdout: sink.stdout, stderr: sink.stderr, status };
}

function spawned(cmd: string, args: readonly string[], input?: string | Uint8Array): Run {
  const r = spawnSync(cmd, args, { input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? 128 + 9 };
}

export function oursProcess(args: readonly string[], input?: string | Uint8Array): Run {
  return spawned(BPFTOOL_BIN, args, input);
}

export function theirs(args: readonly string[], input?: string | Uint8Array): Run {
  return spawned("bpftool", args, input);
}

/** Parsed JSON stdout of a run (fails the test with both streams when it does not parse). */
export function jsonOf(run: Run): unknown {
  try {
    return JSON.parse(run.stdout);
  } catch (error) {
    throw new Error(
      `not JSON (status ${run.status}): ${run.stdout.slice(0, 500)}\nstderr: ${run.stderr.slice(0, 500)}`,
      {
        cause: error,
      },
    );
  }
}
