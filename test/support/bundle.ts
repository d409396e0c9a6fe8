// Bundles a TypeScript entry (and the workspace packages it imports, from source, as vitest resolves them) into
// one CommonJS file a child `node` process can run: tests that need a separate process running our library (to
// kill it with a signal, to run it in another cgroup) then test the source, not a possibly stale dist/.
// rolldown is the bundler vitest's vite already brings; koffi (a native addon) stays outside, required by path.
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = fileURLToPath(new URL("../../", import.meta.url));
const PACKAGES = ["elf", "asm", "btf", "linker", "loader", "vm", "kernel", "bpftool"];

/** Writes `entry` bundled to `outDir`/`name`.cjs and returns that path. */
export async function bundleForNode(entry: string, outDir: string, name: string): Promise<string> {
  const koffi = createRequire(join(root, "packages/kernel/package.json")).resolve("koffi");
  await build({
    input: entry,
    platform: "node",
    logLevel: "warn",
    external: ["koffi"],
    checks: { emptyImportMeta: false },
    resolve: {
      alias: Object.fromEntries(PACKAGES.map((p) => [`@bpfkit/${p}`, join(root, `packages/${p}/src/index.ts`)])),
      extensionAlias: { ".js": [".ts", ".js"] },
    },
    output: {
      format: "cjs",
      dir: outDir,
      entryFileNames: `${name}.cjs`,
      codeSplitting: false,
      paths: { koffi },
    },
  });
  return join(outDir, `${name}.cjs`);
}
