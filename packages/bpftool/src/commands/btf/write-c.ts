// `btf dump ... format c`: bpftool's dump_btf_c. The text streams in 64 KiB pieces of one reused buffer straight to
// stdout (no dump-sized string or buffer): for vmlinux the ordering and emission run in WebAssembly. This module
// loads only the C dumper, so a C dump pays for nothing else.
import type { Btf } from "@bpfkit/btf/btf";
import { BtfDumpError, dumpBtfCTo } from "@bpfkit/btf/dump-c";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { btfEngine } from "./btf-file.js";

const EINVAL = 22;
const ELOOP = 40;

/** bpftool's dump_btf_c: the vmlinux.h header, every type (or the roots), the footer. */
export function writeCDump(ctx: Context, btf: Btf, roots: readonly number[]): void {
  const engine = btfEngine();
  ctx.json?.flush();
  try {
    dumpBtfCTo(btf, (bytes) => ctx.out.printBytes(bytes), {
      rootIds: roots.length > 0 ? roots : undefined,
      engine,
    });
  } catch (error) {
    if (!(error instanceof BtfDumpError)) throw error;
    // btf_dump__dump_type fails with libbpf's warning (cycles) or silently; bpftool adds nothing of its own and
    // leaves what was printed so far.
    if (error.code === "TYPE_CYCLE") {
      ctx.out.error(`libbpf: unsatisfiable type cycle, id:[${error.typeId ?? 0}]\n`);
      throw new CliError(error.message, { ret: -ELOOP, silent: true, cause: error });
    }
    throw new CliError(error.message, { ret: -EINVAL, silent: true, cause: error });
  }
}
