// The committed WebAssembly modules (*.generated.ts) must be exactly what scripts/gen-btf-wasm.mjs builds from the
// C sources next to them: the differential tests exercise the committed modules, so an edit to a .c file that was
// never regenerated would otherwise go unnoticed. A module split into files (dump-c-emit/) is rebuilt from all of
// them: its .c includes them, and the generator refuses a file there that the build leaves out.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { describeWith, useTempDir } from "../../../../test/support/env.js";

const wasmDir = fileURLToPath(new URL("./", import.meta.url));
const generator = fileURLToPath(new URL("../../../../scripts/gen-btf-wasm.mjs", import.meta.url));
const REGENERATE = "run `node scripts/gen-btf-wasm.mjs` and commit the generated files";

describeWith(["clang"], "committed WebAssembly modules match their C source", () => {
  const outDir = useTempDir("bpfkit-gen-wasm-");

  it("rebuilds every *.generated.ts from its C sources with clang-19, byte for byte", () => {
    // The generator itself, into a temporary directory; CLANG pinned because the file names the compiler.
    execFileSync(process.execPath, [generator, "--out-dir", outDir()], {
      env: { ...process.env, CLANG: "clang-19" },
      stdio: "pipe",
    });
    const sources = readdirSync(wasmDir)
      .filter((f) => f.endsWith(".c"))
      .sort();
    expect(sources.length).toBeGreaterThanOrEqual(4);
    // Split sources live in a folder named like their module, never on their own.
    const folders = readdirSync(wasmDir, { withFileTypes: true }).filter((d) => d.isDirectory());
    for (const d of folders)
      expect(sources, `${d.name}/ holds the split sources of ${d.name}.c`).toContain(`${d.name}.c`);
    const expected = sources.map((c) => c.replace(/\.c$/, ".generated.ts"));
    const generated = (dir: string) =>
      readdirSync(dir)
        .filter((f) => f.endsWith(".generated.ts"))
        .sort();
    expect(generated(outDir()), "scripts/gen-btf-wasm.mjs must build one module per .c file").toEqual(expected);
    expect(generated(wasmDir), `a module is missing or has no source: ${REGENERATE}`).toEqual(expected);
    for (const name of expected) {
      const fresh = readFileSync(join(outDir(), name));
      const committed = readFileSync(join(wasmDir, name));
      expect(fresh.equals(committed), `${name} differs from what its C sources compile to: ${REGENERATE}`).toBe(true);
    }
  });
});
