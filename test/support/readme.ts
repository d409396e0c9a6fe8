// Runs a TypeScript example from a README as written (written to a temp file and imported, so its
// `@bpfkit/*` imports resolve like a user's), so the documentation cannot rot.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, vi } from "vitest";
import { openFds } from "./failures.js";

/** The first ```ts block of `readme` (a path from the repo root), after `heading` when given. */
export function readmeExample(readme: string, heading?: string): string {
  const text = readFileSync(new URL(`../../${readme}`, import.meta.url), "utf8");
  const section = heading === undefined ? text : text.slice(text.indexOf(heading));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(example, `${readme}${heading ? ` (${heading})` : ""} has a ts example`).toBeDefined();
  return example as string;
}

/** Runs the example and returns the lines it logged; fails if it leaves a file descriptor open. */
export async function runExample(example: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-readme-"));
  const file = join(dir, "example.ts");
  writeFileSync(file, example);
  const printed: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: string) => {
    printed.push(line);
  });
  const before = openFds();
  try {
    await import(file);
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
  expect(openFds(), "descriptors open after the example").toBe(before);
  return printed;
}
