// `bpftool gen object OUTPUT_FILE INPUT_FILE...`: the static linker (@bpfkit/linker, libbpf's bpf_linker rules).
// Like bpftool: the same arguments, messages shaped like "failed to link 'FILE': ..." and libbpf's errno as the
// exit status. Unlike bpftool: OUTPUT is written to a temporary file in its directory and renamed into place, so
// a failed link leaves no (empty) OUTPUT behind. Ours: `--explain` prints, for every global symbol, which input's
// definition won and why (a JSON array with -j).
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { LinkError, SymbolResolution } from "@bpfkit/linker";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, errnoOf, strerror } from "../../cli/errors.js";

const EINVAL = 22;
const ENOENT = 2;
const EOPNOTSUPP = 95;

/** The errno libbpf 1.1's linker fails with for each kind of problem (bpftool exits with it). */
function errnoFor(error: LinkError): number {
  switch (error.code) {
    case "BYTE_ORDER":
    case "NOT_BPF":
      return EOPNOTSUPP;
    case "BAD_BTF":
      return error.message.includes("failed to find") ? ENOENT : EINVAL;
    default:
      return EINVAL;
  }
}

function printExplanation(ctx: Context, resolutions: readonly SymbolResolution[]): void {
  const json = ctx.json;
  if (!json) {
    for (const r of resolutions) {
      ctx.out.print(`${r.kind} '${r.name}'${r.section ? ` (${r.section})` : ""}: ${r.reason}\n`);
    }
    return;
  }
  json.startArray();
  for (const r of resolutions) {
    json.startObject().stringField("name", r.name).stringField("kind", r.kind);
    if (r.section !== undefined) json.stringField("section", r.section);
    if (r.winner !== undefined) json.stringField("winner", r.winner);
    else json.nullField("winner");
    json.stringField("binding", r.binding).stringField("reason", r.reason);
    json.name("occurrences").startArray();
    for (const o of r.occurrences) {
      json.startObject().stringField("input", o.input).stringField("role", o.role).boolField("hidden", o.hidden);
      json.endObject();
    }
    json.endArray().endObject();
  }
  json.endArray();
}

/**
 * OUTPUT as bpftool's bpf_linker__new takes it: a file that must be creatable before any input is read (a missing
 * directory fails first, "failed to create BPF linker instance"). Ours is a temporary file beside it, renamed
 * over OUTPUT only when the link succeeded.
 */
class AtomicOutput {
  readonly temp: string;

  constructor(readonly path: string) {
    this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      writeFileSync(this.temp, new Uint8Array(0), { flag: "wx" });
    } catch (error) {
      throw new CliError("failed to create BPF linker instance", { cause: error });
    }
  }

  commit(bytes: Uint8Array): void {
    writeFileSync(this.temp, bytes);
    renameSync(this.temp, this.path);
  }

  discard(): void {
    rmSync(this.temp, { force: true });
  }
}

/** bpftool's "failed to link 'FILE': Invalid argument (22)", then what went wrong. */
function linkFailure(what: string, errno: number, detail: string | undefined, cause: unknown): CliError {
  const text = `${what}: ${strerror(errno)} (${errno})${detail ? `: ${detail}` : ""}`;
  return new CliError(text, { ret: -errno, cause });
}

export async function object(ctx: Context, args: Args): Promise<number> {
  args.require(2);
  const out = new AtomicOutput(args.next());
  const { Linker, LinkError } = await import("@bpfkit/linker");
  const linker = new Linker();
  const explain = ctx.options.explain;
  let file = "";
  try {
    while (!args.done) {
      file = args.next();
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(file));
      } catch (error) {
        throw linkFailure(`failed to link '${file}'`, errnoOf(error) ?? EINVAL, undefined, error);
      }
      linker.add({ name: file, bytes });
    }
    file = "";
    out.commit(linker.finish());
  } catch (error) {
    out.discard();
    if (!(error instanceof LinkError)) {
      if (error instanceof CliError) throw error;
      const errno = errnoOf(error) ?? EINVAL;
      throw linkFailure("failed to finalize ELF file", errno, undefined, error);
    }
    if (explain) printExplanation(ctx, linker.explain());
    // The input's name is already in bpftool's prefix.
    const detail = error.message.startsWith(`${file}: `) ? error.message.slice(file.length + 2) : error.message;
    throw linkFailure(
      file ? `failed to link '${file}'` : "failed to finalize ELF file",
      errnoFor(error),
      detail,
      error,
    );
  }
  if (explain) printExplanation(ctx, linker.explain());
  return 0;
}
