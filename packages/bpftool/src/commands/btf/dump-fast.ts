// The two big one-shot dumps, written exactly so: `bpftool btf dump file FILE format c` (the process that makes a
// vmlinux.h) and `bpftool -j btf dump file FILE`. They run before the CLI's frame (option parser, command tables,
// JSON writer) is even loaded, since a whole process's peak memory and start-up are what they are measured by.
// Each produces the bytes and exit status of the full command (the same reader and dumpers, see dump.ts,
// write-c.ts and write-raw.ts); anything it cannot finish before its first byte of output (every error bpftool
// reports) is left to the full command, which reports it.
import { statSync } from "node:fs";
import type { Btf } from "@bpfkit/btf/btf";
import { BtfDumpError, dumpBtfCTo } from "@bpfkit/btf/dump-c";
import { dumpBtfJsonTo } from "@bpfkit/btf/dump-json";
import { writeAll } from "../../cli/output.js";
import { btfEngine, readBtfFile } from "./btf-file.js";

const SYSFS_PREFIX = "/sys/kernel/btf/";
const SYSFS_VMLINUX = "/sys/kernel/btf/vmlinux";
const ELOOP = 40;
const EINVAL = 22;

/** Which fast dump an exact command line asks for. */
export function fastDumpOf(argv: readonly string[]): "c" | "json" | undefined {
  const json = argv[0] === "-j";
  const [object, command, source, file, format, c, ...rest] = json ? argv.slice(1) : argv;
  if (object !== "btf" || command !== "dump" || source !== "file" || file === undefined || file.startsWith("-"))
    return undefined;
  if (json) return format === undefined ? "json" : undefined;
  return format === "format" && c === "c" && rest.length === 0 ? "c" : undefined;
}

/** The BTF in `path` as the full command reads it, or undefined (the full command reports why). */
function readForDump(path: string): Btf | undefined {
  try {
    // A pipe or a terminal could be read only once: the full command takes those.
    if (!statSync(path).isFile()) return undefined;
    // Module BTF gets the kernel's BTF as its base, as in the full command (without -B).
    const base = path.startsWith(SYSFS_PREFIX) && path !== SYSFS_VMLINUX ? readBtfFile(SYSFS_VMLINUX).btf : undefined;
    return readBtfFile(path, base).btf;
  } catch {
    return undefined;
  }
}

/** `-j btf dump file FILE`: the compact JSON document; undefined when the full command must run instead. */
export function fastJsonDump(path: string): number | undefined {
  const btf = readForDump(path);
  if (btf === undefined) return undefined;
  const engine = btfEngine() === "js" ? { engine: "js" as const } : {};
  let written = false;
  try {
    dumpBtfJsonTo(
      btf,
      (bytes) => {
        written = true;
        writeAll(1, bytes);
      },
      engine,
    );
    return 0;
  } catch (error) {
    if (!written) return undefined;
    throw error;
  }
}

/** `btf dump file FILE format c`: the dump's exit status, or undefined when the full command must run instead. */
export function fastCDump(path: string): number | undefined {
  const btf = readForDump(path);
  if (btf === undefined) return undefined;
  const engine = btfEngine();
  let written = false;
  try {
    dumpBtfCTo(
      btf,
      (bytes) => {
        written = true;
        writeAll(1, bytes);
      },
      { engine },
    );
    return 0;
  } catch (error) {
    if (!written) return undefined;
    if (!(error instanceof BtfDumpError)) throw error;
    // As the full command: libbpf's line for a cycle, the output so far, bpftool's status.
    if (error.code === "TYPE_CYCLE") {
      writeAll(2, new TextEncoder().encode(`libbpf: unsatisfiable type cycle, id:[${error.typeId ?? 0}]\n`));
      return -ELOOP & 0xff;
    }
    return -EINVAL & 0xff;
  }
}
