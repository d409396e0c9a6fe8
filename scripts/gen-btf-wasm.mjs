// Compiles the WebAssembly hot loops of @bpfkit/btf (packages/btf/src/wasm/{scan,core-names,dump,dump-c-order,dump-c-emit}.c) and writes
// <name>.generated.ts next to each (the module as base64). Needs clang with the wasm32 target (clang-19 on the dev
// machine) and no linker: the C code has no data segments and uses no stack memory, so the relocatable object is a
// complete module once its custom sections (linking metadata) are dropped. A module split into files keeps them in
// a folder named like it (dump-c-emit/), which its .c includes as one translation unit; every file there must be
// included. Run: node scripts/gen-btf-wasm.mjs
// With --out-dir DIR the files go to DIR instead, leaving the committed ones alone (packages/btf/src/wasm/
// generated.test.ts rebuilds into a temporary directory that way and compares).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("../packages/btf/src/wasm/", import.meta.url));
const clang = process.env.CLANG ?? "clang-19";
const args = process.argv.slice(2);
if (!(args.length === 0 || (args.length === 2 && args[0] === "--out-dir"))) {
  console.error("usage: node scripts/gen-btf-wasm.mjs [--out-dir DIR]");
  process.exit(2);
}
const outDir = args.length === 2 ? resolve(args[1]) : dir;
const MODULES = [
  ["scan", "SCAN_WASM_BASE64"],
  ["core-names", "CORE_NAMES_WASM_BASE64"],
  ["dump", "DUMP_WASM_BASE64"],
  ["dump-c-order", "DUMP_C_ORDER_WASM_BASE64"],
  ["dump-c-emit", "DUMP_C_EMIT_WASM_BASE64"],
];

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

function build(name, constant, tmpDir) {
  const objectPath = join(tmpDir, `${name}.o`);
  const flags = ["--target=wasm32", "-O2", "-nostdlib", "-ffreestanding", "-fno-builtin", "-fno-jump-tables"];
  const depsPath = join(tmpDir, `${name}.d`);
  execFileSync(clang, [...flags, "-MD", "-MF", depsPath, "-c", join(dir, `${name}.c`), "-o", objectPath]);
  const parts = join(dir, name);
  if (existsSync(parts)) {
    // A file of the split sources that the unity build forgot would silently drop out of the module.
    const deps = readFileSync(depsPath, "utf8");
    const missed = readdirSync(parts).filter((f) => /\.[ch]$/.test(f) && !deps.includes(join(parts, f)));
    if (missed.length > 0)
      throw new Error(`${name}.c does not include ${missed.map((f) => `${name}/${f}`).join(", ")}`);
  }
  const object = new Uint8Array(readFileSync(objectPath));
  // Keep the 8-byte preamble and every non-custom section; refuse data segments (they would need a linker).
  const kept = [object.subarray(0, 8)];
  for (let at = 8; at < object.length; ) {
    const id = object[at];
    const [size, body] = leb(object, at + 1);
    if (id === 11 || id === 12) throw new Error(`${name}.c produced a data section: keep constants in code`);
    if (id !== 0) kept.push(object.subarray(at, body + size));
    at = body + size;
  }
  const module = Buffer.concat(kept);
  // The memory is the only real import; clang adds an empty function table import only when code has indirect calls.
  const allowed = new Set(["env.__linear_memory:memory", "env.__indirect_function_table:table"]);
  const named = WebAssembly.Module.imports(new WebAssembly.Module(module)).map(
    (i) => `${i.module}.${i.name}:${i.kind}`,
  );
  if (!named.includes("env.__linear_memory:memory") || named.some((n) => !allowed.has(n))) {
    throw new Error(`${name}.c must import only its memory (and the empty table), got ${JSON.stringify(named)}`);
  }
  const source = existsSync(parts) ? `${name}.c and ${name}/` : `${name}.c`;
  const lines = module
    .toString("base64")
    .match(/.{1,100}/g)
    .map((l) => `  "${l}",`);
  writeFileSync(
    join(outDir, `${name}.generated.ts`),
    `// generated, do not edit, regenerate with: node scripts/gen-btf-wasm.mjs (source: ${source}, ${clang})
export const ${constant} = [
${lines.join("\n")}
].join("");
`,
  );
  console.log(`${name}.generated.ts: ${module.length} bytes of WebAssembly`);
}

const tmpDir = mkdtempSync(join(tmpdir(), "bpfkit-wasm-"));
try {
  for (const [name, constant] of MODULES) build(name, constant, tmpDir);
} finally {
  rmSync(tmpDir, { recursive: true, force: true });
}
