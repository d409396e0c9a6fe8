// The pure packages import no Node built-in at run time, so they can run in a browser (the guide's rule, and
// docs/ARCHITECTURE.md's): a static scan of their sources, tests excepted. Type-only imports are erased and allowed.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packages = fileURLToPath(new URL("../packages/", import.meta.url));
const PURE = ["elf", "asm", "btf", "loader", "linker", "vm"];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Run-time imports of Node modules in one source file: `import ... from`, `export ... from`, `import()`, `require()`. */
function nodeImports(text: string): string[] {
  const found: string[] = [];
  const statement =
    /^\s*(import|export)\s+(type\s+)?[^;]*?from\s+["'](node:[^"']+|fs|path|os|buffer|crypto|child_process)["']/gm;
  for (const m of text.matchAll(statement)) if (m[2] === undefined) found.push(m[3] as string);
  for (const m of text.matchAll(/\b(?:import|require)\(\s*["'](node:[^"']+)["']\s*\)/g)) found.push(m[1] as string);
  return found;
}

describe("pure packages", () => {
  it("the scan sees run-time imports and lets type-only ones through", () => {
    expect(nodeImports('import { Buffer } from "node:buffer";\nimport type { Stats } from "node:fs";')).toEqual([
      "node:buffer",
    ]);
    expect(nodeImports('const fs = await import("node:fs");\nexport { x } from "node:path";')).toEqual([
      "node:path",
      "node:fs",
    ]);
  });

  for (const name of PURE) {
    it(`${name} imports no Node built-in outside its tests`, () => {
      const offenders = sources(join(packages, name, "src")).flatMap((file) =>
        nodeImports(readFileSync(file, "utf8")).map((module) => `${file.slice(packages.length)}: ${module}`),
      );
      expect(offenders).toEqual([]);
    });
  }
});
