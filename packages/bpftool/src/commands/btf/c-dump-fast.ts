// `bpftool btf dump file FILE format c`, written exactly so and without options: the one-shot process that makes
// a vmlinux.h, run before the CLI's frame (option parser, command tables, JSON writer) is even loaded, since a
// whole process's peak memory and start-up are what it is measured by. It produces the bytes and exit status of
// the full command (the same reader and dumper, see dump.ts and write-c.ts); anything it cannot finish before its
// first byte of output (every error bpftool reports) is left to the full command, which reports it.
import { statSync } from "node:fs";
import type { Btf } from "@bpfkit/btf/btf";
import { BtfDumpError, dumpBtfAsCTo } from "@bpfkit/btf/dump-c";
import { writeAll } from "../../cli/output.js";
import { btfEngine, readBtfFile } from "./btf-file.js";

const SYSFS_PREFIX = "/sys/kernel/btf/";
const SYSFS_VMLINUX = "/sys/kernel/btf/vmlinux";
const ELOOP = 40;
const EINVAL = 22;

/** The dump's exit status, or undefined when the full command must run instead (it reports the error). */
export function fastCDump(path: string): number | undefined {
  let btf: Btf;
  try {
    // A pipe or a terminal could be read only once: the full command takes those.
    if (!statSync(path).isFile()) return undefined;
    // Module BTF gets the kernel's BTF as its base, as in the full command (without -B).
    const base = path.startsWith(SYSFS_PREFIX) && path !== SYSFS_VMLINUX ? readBtfFile(SYSFS_VMLINUX).btf : undefined;
    btf = readBtfFile(path, base).btf;
  } catch {
    return undefined;
  }
  const engine = btfEngine();
  let written = false;
  try {
    dumpBtfAsCTo(
      btf,
      (bytes) => {
        written = true;
        writeAll(1, bytes);
      },
      { ordering: engine, emitter: engine },
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
