// The first README example runs as written (its imports mapped to the source modules) and prints what it claims.
import * as fs from "node:fs";
import { expect, it } from "vitest";
import * as object from "../packages/loader/src/object/index.js";
import * as prepare from "../packages/loader/src/prepare/index.js";

it("README example: open, list, set a .rodata variable", async () => {
  const readme = fs.readFileSync(new URL("../packages/loader/README.md", import.meta.url), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const modules: Record<string, unknown> = { "node:fs": fs, "@bpfkit/loader": { ...object, ...prepare } };
  const body = block.replace(/^import \{([^}]*)\} from "([^"]+)";$/gm, (_, names: string, from: string) => {
    if (!(from in modules)) throw new Error(`README imports unknown module ${from}`);
    return `const {${names}} = modules[${JSON.stringify(from)}];`;
  });
  const lines: string[] = [];
  const console_ = {
    log: (...args: unknown[]) => lines.push(args.map((a) => (typeof a === "string" ? a : String(a))).join(" ")),
  };
  new Function("modules", "console", body)(modules, console_);
  const claimed = [...block.matchAll(/^\/\/ ((?:prog|map) .*?)(?:\s{2}\(.*)?$/gm)].map((m) => m[1]!.trim());
  for (const line of claimed) expect(lines).toContain(line);
  expect(lines.at(-1)).toBe("100,0,0,0");
});
