// Runs the TypeScript examples of a README as written, so the documentation cannot rot. Every ```ts block of a
// README is an example that runs: describeReadme gives each one a test (and fails when a block has none, or when
// a README tags code as js/typescript to slip past it). A block is written to a temp file and imported, so its
// `@bpfkit/*` imports resolve like a user's (vitest.config.ts maps them to the sources), and what it prints is
// captured for the test to check against what the README claims.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { itWith, type Requirement } from "./env.js";
import { openFds } from "./failures.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** One ```ts block of a README. */
export interface ReadmeExample {
  readonly readme: string;
  /** The heading of its section ("Build BTF"), with " (2)", " (3)" ... for later blocks of the same section. */
  readonly key: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
}

/** Fence tags of code a reader would take for a runnable example: such code must be tagged ts so it runs. */
const SCRIPT_TAGS = new Set(["js", "javascript", "mjs", "cjs", "jsx", "typescript", "mts", "tsx"]);

interface Block {
  tag: string;
  key: string;
  line: number;
  code: string;
}

function blocks(readme: string): Block[] {
  const lines = readFileSync(join(REPO, readme), "utf8").split("\n");
  const found: Block[] = [];
  const perHeading = new Map<string, number>();
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)/.exec(lines[i]!);
    if (fence === null) {
      const title = /^#+\s+(.*)$/.exec(lines[i]!);
      if (title) heading = title[1]!.trim();
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && l.startsWith("```"));
    expect(end, `${readme}:${i + 1}: unclosed code block`).toBeGreaterThan(i);
    const tag = fence[1]!;
    // Numbered among the section's ts blocks, so a shell block added before one does not change its key.
    const n = (perHeading.get(heading) ?? 0) + (tag === "ts" ? 1 : 0);
    perHeading.set(heading, n);
    found.push({
      tag,
      key: n === 1 ? heading : `${heading} (${n})`,
      line: i + 1,
      code: lines.slice(i + 1, end).join("\n"),
    });
    i = end;
  }
  return found;
}

/** Every ```ts block of `readme` (a path from the repository root), in order. */
export function readmeExamples(readme: string): ReadmeExample[] {
  return blocks(readme)
    .filter((b) => b.tag === "ts")
    .map(({ key, line, code }) => ({ readme, key, line, code: `${code}\n` }));
}

/** The ```ts block of `readme` with this key (see ReadmeExample.key). */
export function readmeExample(readme: string, key: string): ReadmeExample {
  const examples = readmeExamples(readme);
  const example = examples.find((e) => e.key === key);
  if (example === undefined)
    throw new Error(`${readme} has no ts block "${key}" (has: ${examples.map((e) => `"${e.key}"`).join(", ")})`);
  return example;
}

export interface RunOptions {
  /** Keys of earlier blocks of the same README this one continues: they run first, in the same module. */
  readonly after?: readonly string[];
  /** Code run before the block, for context the README gives in prose only. */
  readonly prelude?: string;
  /** Code run after the block (closing what the prelude opened). */
  readonly postlude?: string;
  /** Working directory of the run (default: the repository root, which the examples' relative paths assume). */
  readonly cwd?: string;
}

/** What an example printed: console.log lines (formatted as node prints them) and process.stdout writes. */
export interface Printed {
  readonly text: string;
  /** `text` split into lines, without the empty string after a final newline. */
  readonly lines: string[];
}

/**
 * Runs an example as written and returns what it printed; fails if it throws or leaves a file descriptor open.
 * The temp file is removed before this returns.
 */
export async function runExample(example: ReadmeExample, options: RunOptions = {}): Promise<Printed> {
  const parts = (options.after ?? []).map((key) => readmeExample(example.readme, key).code);
  const source = [options.prelude ?? "", ...parts, example.code, options.postlude ?? ""].join("\n");
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-readme-"));
  const file = join(dir, "example.ts");
  writeFileSync(file, source);
  let text = "";
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    text += `${format(...args)}\n`;
  });
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    text += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    return true;
  });
  const cwd = process.cwd();
  const before = openFds();
  try {
    process.chdir(options.cwd ?? REPO);
    await import(file);
  } catch (err) {
    throw new Error(`${example.readme}:${example.line} (${example.key}) failed as written: ${String(err)}`, {
      cause: err,
    });
  } finally {
    process.chdir(cwd);
    log.mockRestore();
    write.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
  expect(openFds(), "descriptors open after the example").toBe(before);
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return { text, lines };
}

/** The comment at the end of the example's line containing `marker` ("// claimed output" after the code). */
export function trailingComment(example: ReadmeExample, marker: string): string {
  const line = example.code.split("\n").find((l) => l.includes(marker));
  const comment = line === undefined ? undefined : /\/\/ (.*)$/.exec(line)?.[1];
  if (comment === undefined) throw new Error(`${example.readme} (${example.key}): no commented line with ${marker}`);
  return comment;
}

/** The `// ` comment lines right after the example's line containing `marker`, without the `// `. */
export function commentsAfter(example: ReadmeExample, marker: string): string[] {
  const lines = example.code.split("\n");
  const start = lines.findIndex((l) => l.includes(marker));
  const comments: string[] = [];
  for (let i = start + 1; start >= 0 && i < lines.length; i++) {
    const comment = /^\s*\/\/ (.*)$/.exec(lines[i]!);
    if (comment === null) break;
    comments.push(comment[1]!);
  }
  if (comments.length === 0) throw new Error(`${example.readme} (${example.key}): no comment lines after ${marker}`);
  return comments;
}

/** The test of one ```ts block. */
export interface ExampleTest {
  /** What it shows (the test's name, after the block's key). */
  readonly does: string;
  /** What the block needs to run (vmlinux BTF, root ...): skipped out loud without it, failed under CI. */
  readonly needs?: readonly Requirement[];
  readonly run: (example: ReadmeExample) => Promise<void>;
}

/**
 * Tests of every ```ts block of `readme`, one per key: a block without a test here, or a test without its block,
 * fails, and so does code tagged as another script language (it would never run).
 */
export function describeReadme(readme: string, tests: Readonly<Record<string, ExampleTest>>): void {
  describe(readme, () => {
    it("has a test for every ts block, and every script block is tagged ts", () => {
      const all = blocks(readme);
      const untagged = all.filter((b) => SCRIPT_TAGS.has(b.tag)).map((b) => `${readme}:${b.line} \`\`\`${b.tag}`);
      expect(untagged, "examples are tagged ts, so they run").toEqual([]);
      expect(readmeExamples(readme).map((e) => e.key)).toEqual(Object.keys(tests));
    });
    for (const [key, test] of Object.entries(tests))
      itWith(test.needs ?? [], `${key}: ${test.does}`, () => test.run(readmeExample(readme, key)));
  });
}
