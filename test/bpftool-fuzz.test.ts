// Bad input to the CLI: byte-mutated fixture objects (seeded, so a failing round replays) through the commands
// that read object files. Every run either succeeds or ends with one `Error: ...` line (or an {"error": ...}
// document with -j) and a non-zero status: never a JavaScript stack trace, never a hang, no descriptor left open,
// and for `prog loadall` nothing left pinned.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { ours, type Run } from "./support/bpftool.js";
import { describeWith, usePinRoot, useTempDir } from "./support/env.js";
import { openFds } from "./support/failures.js";
import { seededRandom } from "./support/mutate.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const OBJECTS = ["xdp_parse.bpf.o", "core_task.bpf.o", "globals.bpf.o", "maps.bpf.o"];
const ROUNDS = 12;

/** `count` mutated copies of a fixture: a few random bytes changed, or the file cut short. */
function mutants(name: string, count: number, seed: number): Uint8Array[] {
  const original = new Uint8Array(readFileSync(join(FIXTURES, name)));
  const rand = seededRandom(seed);
  return Array.from({ length: count }, (_, round) => {
    if (round % 4 === 3) return original.slice(0, Math.floor(rand() * original.length));
    const bytes = new Uint8Array(original);
    const flips = 1 + Math.floor(rand() * 8);
    for (let i = 0; i < flips; i++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    return bytes;
  });
}

/** A run that failed cleanly, or succeeded. */
function expectClean(run: Run, json: boolean, what: string): "ok" | "error" {
  expect(run.stderr, `${what}: no stack trace`).not.toMatch(/^\s+at .*[(:]\d+/m);
  if (run.status === 0) return "ok";
  if (json) {
    const doc = JSON.parse(run.stdout.replace(/,null\n$/, "\n")) as { error?: unknown };
    expect(typeof doc.error, `${what}: an error object`).toBe("string");
  } else {
    const lines = run.stderr.trimEnd().split("\n");
    expect(
      lines.filter((l) => l.startsWith("Error: ")),
      `${what}: one error line\n${run.stderr}`,
    ).toHaveLength(1);
  }
  return "error";
}

describeWith(["vmlinux-btf"], "bpftool clone on mutated objects (no kernel objects)", () => {
  const dir = useTempDir("bpfkit-bpftool-fuzz-");

  it("btf dump (raw, JSON, C) and gen skeleton fail cleanly or succeed", async () => {
    const outcomes = { ok: 0, error: 0 };
    let seed = 1;
    for (const name of OBJECTS) {
      for (const [round, bytes] of mutants(name, ROUNDS, seed++).entries()) {
        const file = join(dir(), `${name}.${round}`);
        writeFileSync(file, bytes);
        for (const args of [
          ["btf", "dump", "file", file],
          ["-j", "btf", "dump", "file", file],
          ["btf", "dump", "file", file, "format", "c"],
          ["gen", "skeleton", file],
        ]) {
          const before = openFds();
          const started = Date.now();
          const run = await ours(args);
          expect(Date.now() - started, `${args.join(" ")}: bounded`).toBeLessThan(10_000);
          outcomes[expectClean(run, args[0] === "-j", `${name} round ${round}: ${args.join(" ")}`)]++;
          expect(openFds(), `${args.join(" ")}: descriptors`).toBe(before);
        }
      }
    }
    // Both kinds of outcome happen, so the loop checks what it claims to.
    expect(outcomes.ok).toBeGreaterThan(10);
    expect(outcomes.error).toBeGreaterThan(10);
  }, 120_000);
});

describeWith(["root", "bpffs", "vmlinux-btf"], "bpftool clone: prog loadall of mutated objects", () => {
  const dir = useTempDir("bpfkit-bpftool-fuzz-load-");
  const pinRoot = usePinRoot();

  it("a failed load leaves no pin and no descriptor", async () => {
    const outcomes = { ok: 0, error: 0 };
    let seed = 100;
    // maps.bpf.o pins a map by name under /sys/fs/bpf itself (libbpf's default pin root): not loaded here.
    for (const name of OBJECTS.filter((o) => o !== "maps.bpf.o")) {
      for (const [round, bytes] of mutants(name, ROUNDS / 2, seed++).entries()) {
        const file = join(dir(), `${name}.${round}`);
        writeFileSync(file, bytes);
        const target = join(pinRoot(), `${name}-${round}`);
        const before = openFds();
        const run = await ours(["prog", "loadall", file, target]);
        const outcome = expectClean(run, false, `${name} round ${round}: prog loadall`);
        outcomes[outcome]++;
        if (outcome === "error")
          expect(readdirSync(pinRoot()), `${name} round ${round}: pins`).not.toContain(`${name}-${round}`);
        expect(openFds(), `${name} round ${round}: descriptors`).toBe(before);
      }
    }
    expect(outcomes.error).toBeGreaterThan(3);
  }, 120_000);
});
