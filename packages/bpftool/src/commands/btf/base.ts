// Base BTF for split BTF: `-B FILE` (bpftool parses it with the options, before any command runs, and fails the
// whole run when it cannot), and the kernel's vmlinux for module BTF when no -B was given.
import type { Btf } from "@bpfkit/btf/btf";
import type { Context } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { LibbpfError, readBtfFile } from "./btf-file.js";

export const SYSFS_VMLINUX = "/sys/kernel/btf/vmlinux";

const parsed = new WeakMap<Context, Btf>();

/** libbpf's warning lines, as its default print callback writes them to stderr. */
export function printLibbpfWarnings(ctx: Context, error: LibbpfError): void {
  for (const line of error.warnings) ctx.out.error(`libbpf: ${line}\n`);
}

/**
 * The -B base BTF of this run, parsed once; undefined without -B. Fails as bpftool's option parsing does:
 * `failed to parse base BTF at 'FILE': -ERRNO` (with the newline bpftool leaves in that message).
 */
export function baseBtf(ctx: Context): Btf | undefined {
  const path = ctx.options.baseBtf;
  if (path === undefined) return undefined;
  const known = parsed.get(ctx);
  if (known) return known;
  try {
    const { btf } = readBtfFile(path);
    parsed.set(ctx, btf);
    return btf;
  } catch (error) {
    if (!(error instanceof LibbpfError)) throw error;
    printLibbpfWarnings(ctx, error);
    throw new CliError(`failed to parse base BTF at '${path}': ${-error.errno}\n`, { cause: error });
  }
}

/**
 * get_vmlinux_btf_from_sysfs: the kernel's BTF as the base of module BTF. A failure is reported and the caller
 * goes on without a base, as bpftool does.
 */
export function sysfsVmlinux(ctx: Context, report: (message: string) => void): Btf | undefined {
  try {
    return readBtfFile(SYSFS_VMLINUX).btf;
  } catch (error) {
    if (!(error instanceof LibbpfError)) throw error;
    printLibbpfWarnings(ctx, error);
    report(`failed to parse vmlinux BTF at '${SYSFS_VMLINUX}': ${-error.errno}\n`);
    return undefined;
  }
}

/** Whether getopt saw -j or -p before -B (only then is the -B failure reported as JSON). */
function jsonBeforeBase(argv: readonly string[]): boolean {
  let json = false;
  for (const word of argv) {
    if (word === "--") break;
    if (word.startsWith("--")) {
      if (word === "--json" || word === "--pretty") json = true;
      if (word === "--base-btf" || word.startsWith("--base-btf=")) return json;
    } else if (word.startsWith("-") && word.length > 1) {
      for (const flag of word.slice(1)) {
        if (flag === "B") return json;
        if (flag === "j" || flag === "p") json = true;
      }
    }
  }
  return json;
}

/**
 * -B as bpftool's option loop takes it: the file is parsed before any command runs (and kept for the commands).
 * On failure the error is printed (as JSON only when -j/-p came first) and the run ends at once with status 255,
 * without the JSON document's final newline: bpftool returns from main before closing its writer. Returns the
 * exit status on failure, else undefined.
 */
export async function parseBaseOption(ctx: Context, argv: readonly string[]): Promise<number | undefined> {
  try {
    baseBtf(ctx);
    return undefined;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    if (ctx.json && jsonBeforeBase(argv)) {
      ctx.json.startObject().name("error").unescaped(error.message).endObject();
      ctx.json.flush();
    } else {
      ctx.out.error(`Error: ${error.message}\n`);
    }
    ctx.close();
    ctx.out.flush();
    return 255;
  }
}
