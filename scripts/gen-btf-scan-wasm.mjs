// Compiles packages/btf/src/wasm/scan.c to WebAssembly and writes packages/btf/src/wasm/scan.generated.ts
// (the module as base64). Needs clang with the wasm32 target (clang-19 on the dev machine); no linker: the C
// code has no data segments and no stack use, so the relocatable object is a complete module once its custom
// sections (linking metadata) are dropped. Run: node scripts/gen-btf-scan-wasm.mjs
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("../packages/btf/src/wasm/", import.meta.url));
const tmp = join(mkdtempSync(join(tmpdir(), "bpfkit-wasm-")), "scan.o");
const clang = process.env.CLANG ?? "clang-19";
execFileSync(clang, ["--target=wasm32", "-O2", "-nostdlib", "-fno-jump-tables", "-c", join(dir, "scan.c"), "-o", tmp]);
const object = new Uint8Array(readFileSync(tmp));

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

// Keep the 8-byte preamble and every non-custom section; refuse data segments (they would need a linker).
const kept = [object.subarray(0, 8)];
for (let at = 8; at < object.length; ) {
  const id = object[at];
  const [size, body] = leb(object, at + 1);
  if (id === 11 || id === 12) throw new Error("scan.c produced a data section: keep lookup tables in code");
  if (id !== 0) kept.push(object.subarray(at, body + size));
  at = body + size;
}
const module = Buffer.concat(kept);
const imports = WebAssembly.Module.imports(new WebAssembly.Module(module));
// clang's object always imports a (here empty) function table next to the memory.
const expected = ["env.__linear_memory:memory", "env.__indirect_function_table:table"];
if (imports.map((i) => `${i.module}.${i.name}:${i.kind}`).join() !== expected.join()) {
  throw new Error(`scan.c must import only its memory (and the empty table), got ${JSON.stringify(imports)}`);
}

const base64 = module.toString("base64");
const lines = base64.match(/.{1,100}/g).map((l) => `  "${l}",`);
writeFileSync(
  join(dir, "scan.generated.ts"),
  `// generated, do not edit, regenerate with: node scripts/gen-btf-scan-wasm.mjs (source: scan.c, ${clang})
export const SCAN_WASM_BASE64 = [
${lines.join("\n")}
].join("");
`,
);
console.log(`scan.generated.ts: ${module.length} bytes of WebAssembly`);
