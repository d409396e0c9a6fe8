// Compiles packages/btf/src/wasm/dump-c-order.c (the C dump's ordering pass) to WebAssembly and writes
// dump-c-order.generated.ts next to it (the module as base64). Same recipe as gen-btf-scan-wasm.mjs: clang with
// the wasm32 target and no linker, so the C code must have no data segments and use no stack memory; the
// relocatable object is then a complete module once its custom sections are dropped.
// Run: node scripts/gen-dump-c-wasm.mjs
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("../packages/btf/src/wasm/", import.meta.url));
const clang = process.env.CLANG ?? "clang-19";
const NAME = "dump-c-order";
const CONSTANT = "DUMP_C_ORDER_WASM_BASE64";

/** Reads an unsigned LEB128 at `at`; returns [value, next offset]. */
function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, at];
    shift += 7;
  }
}

const tmpDir = mkdtempSync(join(tmpdir(), "bpfkit-wasm-"));
try {
  const object = join(tmpDir, `${NAME}.o`);
  const flags = ["--target=wasm32", "-O2", "-nostdlib", "-ffreestanding", "-fno-builtin", "-fno-jump-tables"];
  execFileSync(clang, [...flags, "-c", join(dir, `${NAME}.c`), "-o", object]);
  const bytes = new Uint8Array(readFileSync(object));
  const kept = [bytes.subarray(0, 8)];
  for (let at = 8; at < bytes.length; ) {
    const id = bytes[at];
    const [size, body] = leb(bytes, at + 1);
    if (id === 11 || id === 12) throw new Error(`${NAME}.c produced a data section: keep constants in code`);
    if (id !== 0) kept.push(bytes.subarray(at, body + size));
    at = body + size;
  }
  const module = Buffer.concat(kept);
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(module));
  // clang adds an (empty) function table import only when the code has indirect calls; this code has none.
  const allowed = new Set(["env.__linear_memory:memory", "env.__indirect_function_table:table"]);
  const named = imports.map((i) => `${i.module}.${i.name}:${i.kind}`);
  if (!named.includes("env.__linear_memory:memory") || named.some((n) => !allowed.has(n))) {
    throw new Error(`${NAME}.c must import only its memory (and the empty table), got ${JSON.stringify(imports)}`);
  }
  const lines = module
    .toString("base64")
    .match(/.{1,100}/g)
    .map((l) => `  "${l}",`);
  writeFileSync(
    join(dir, `${NAME}.generated.ts`),
    `// generated, do not edit, regenerate with: node scripts/gen-dump-c-wasm.mjs (source: ${NAME}.c, ${clang})
export const ${CONSTANT} = [
${lines.join("\n")}
].join("");
`,
  );
  console.log(`${NAME}.generated.ts: ${module.length} bytes of WebAssembly`);
} finally {
  rmSync(tmpDir, { recursive: true, force: true });
}
