// Global setup: the suite leaves the kernel's links as it found them. Before any test, `bpftool link show -j` (the
// system's bpftool 7.1.0) is recorded; after the last, it must list the same links: a link a test leaked (an
// attachment left behind by a failed close, a pin not removed) fails the run, naming it. Needs root and bpftool;
// without them there is nothing to compare and nothing is done.

import { execFileSync } from "node:child_process";

interface LinkRow {
  readonly id: number;
  readonly type: string | number;
  readonly prog_id: number;
}

function links(): LinkRow[] | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const out = execFileSync("bpftool", ["-j", "link", "show"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return JSON.parse(out.trim() || "[]") as LinkRow[];
  } catch {
    return undefined;
  }
}

export default function setup(): () => void {
  const before = links();
  return () => {
    if (before === undefined) return;
    const after = links() ?? [];
    const known = new Set(before.map((l) => l.id));
    const leaked = after.filter((l) => !known.has(l.id));
    if (leaked.length > 0) {
      const list = leaked.map((l) => `link ${l.id} (type ${l.type}, prog ${l.prog_id})`).join(", ");
      // A teardown's exception is only printed by vitest: the exit status carries the failure.
      console.error(`\nFAIL: the test suite left links behind: ${list}`);
      process.exitCode = 1;
    }
  };
}
