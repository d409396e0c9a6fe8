// Small helpers for tests of failures: what was thrown, which C line a fixture has, how many descriptors are open.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const fixturesDir = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** Descriptors this process holds (a failed load must leave the count unchanged). */
export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** The error `f` throws; a test failure if it returns. */
export function caught(f: () => unknown): Error {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

/** 1-based number of the first line of a fixture source (`x.bpf.c`, or its object `x.bpf.o`) containing `text`. */
export function lineOf(fixture: string, text: string): number {
  const source = join(fixturesDir, fixture.replace(/\.o$/, ".c"));
  const line = readFileSync(source, "utf8")
    .split("\n")
    .findIndex((l) => l.includes(text));
  if (line < 0) throw new Error(`${source}: no line contains ${JSON.stringify(text)}`);
  return line + 1;
}
