// Helpers for the C dumper oracle tests: the reference text from the installed bpftool, our text for the same
// input, compilation of our own C cases, and a diff report that shows the first differing lines.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Btf } from "@bpfkit/btf";
import { isElf, parseElf } from "@bpfkit/elf";
import { dumpBtfC } from "../packages/btf/src/dump-c/index.js";
import { multiarchIncludes } from "./support/env.js";

export const fixtureDir = fileURLToPath(new URL("./fixtures/", import.meta.url));

/** `bpftool btf dump file <path> format c`, exactly as printed. */
export function bpftoolDumpC(path: string): string {
  return execFileSync("bpftool", ["btf", "dump", "file", path, "format", "c"], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** The Btf of a file: raw BTF (/sys/kernel/btf/*) or the .BTF section of an ELF object. */
export function btfOfFile(path: string): Btf {
  const bytes = new Uint8Array(readFileSync(path));
  if (!isElf(bytes)) return Btf.parse(bytes);
  const section = parseElf(bytes).sectionByName(".BTF");
  if (!section) throw new Error(`${path} has no .BTF section`);
  return Btf.parse(section.data);
}

/** Our dump of the same file. */
export function ourDumpC(path: string): string {
  return dumpBtfC(btfOfFile(path));
}

/** undefined when equal; otherwise where the texts first differ, with a few lines of each around it. */
export function firstDifference(ours: string, theirs: string, context = 3): string | undefined {
  if (ours === theirs) return undefined;
  const a = ours.split("\n");
  const b = theirs.split("\n");
  let line = 0;
  while (line < a.length && line < b.length && a[line] === b[line]) line++;
  const from = Math.max(0, line - context);
  const show = (lines: string[]) =>
    lines
      .slice(from, line + context + 1)
      .map((text, i) => `${String(from + i + 1).padStart(7)}${from + i === line ? ">" : " "} ${text}`)
      .join("\n");
  return (
    `first difference at line ${line + 1} (ours ${a.length} lines, bpftool ${b.length} lines)\n` +
    `--- ours\n${show(a)}\n--- bpftool\n${show(b)}`
  );
}

/** Compiles one of our C sources for the given BPF target with BTF. */
export function compileBpf(source: string, output: string, target: "bpfel" | "bpfeb"): void {
  execFileSync("clang-19", ["-target", target, "-g", "-O2", "-c", source, "-o", output, ...multiarchIncludes()], {
    stdio: ["ignore", "ignore", "pipe"],
  });
}
