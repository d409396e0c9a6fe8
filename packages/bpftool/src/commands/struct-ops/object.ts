// Opening and loading a whole object as libbpf's bpf_object__open + bpf_object__load do for `struct_ops register`
// and `iter pin`: libbpf's warnings on stderr when either fails, and the failure's -errno for the caller, which
// prints (or not) bpftool's own error.
import { readFileSync, statSync } from "node:fs";
import { type Collection, loadCollection, VerifierError } from "@bpfkit/kernel";
import type { ObjectSpec } from "@bpfkit/loader";
import type { Context } from "../../cli/context.js";
import { CliError, errnoOf, strerror } from "../../cli/errors.js";
import { openForBpftool } from "../prog/object.js";

const ENOENT = 2;
const EINVAL = 22;
/** libbpf's LIBBPF_ERRNO__FORMAT: not an ELF object it can read. */
const LIBBPF_ERRNO_FORMAT = 4001;

export class ObjectFailure extends Error {
  constructor(
    readonly stage: "open" | "load",
    readonly ret: number,
  ) {
    super(`${stage} failed`);
  }
}

/** libelf's elf_kind test: anything without the ELF magic is not an object libbpf opens. */
function hasElfMagic(path: string): boolean | undefined {
  let head: Buffer;
  try {
    head = readFileSync(path).subarray(0, 4);
  } catch {
    return undefined;
  }
  return head.length === 4 && head[0] === 0x7f && head.toString("latin1", 1, 4) === "ELF";
}

function open(ctx: Context, path: string): ObjectSpec {
  if (hasElfMagic(path) === false) {
    ctx.out.error(`libbpf: elf: '${path}' is not a proper ELF object\n`);
    throw new ObjectFailure("open", -LIBBPF_ERRNO_FORMAT);
  }
  try {
    return openForBpftool(ctx, path);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    // openForBpftool printed libbpf's lines; bpftool's callers say their own words
    let missing = false;
    try {
      statSync(path);
    } catch (e) {
      missing = errnoOf(e) === ENOENT;
    }
    throw new ObjectFailure("open", missing ? -ENOENT : -LIBBPF_ERRNO_FORMAT);
  }
}

/** Every program and map of the object, loaded into the run's backend (closed with the run). */
export async function openAndLoad(ctx: Context, path: string): Promise<Collection> {
  const spec = open(ctx, path);
  const backend = await ctx.backend();
  let collection: Collection;
  try {
    collection = loadCollection(spec, { backend });
  } catch (error) {
    const errno = errnoOf(error) ?? EINVAL;
    if (error instanceof VerifierError) {
      const prog = /^prog '([^']+)'/.exec(error.message)?.[1] ?? /\("([^"]+)"\)/.exec(error.message)?.[1] ?? "?";
      ctx.out.error(`libbpf: prog '${prog}': BPF program load failed: ${strerror(errno)}\n`);
      ctx.out.error(
        `libbpf: prog '${prog}': -- BEGIN PROG LOAD LOG --\n${error.log.join("\n")}\n-- END PROG LOAD LOG --\n`,
      );
      ctx.out.error(`libbpf: prog '${prog}': failed to load: -${errno}\n`);
    } else {
      ctx.out.error(`libbpf: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
    }
    ctx.out.error(`libbpf: failed to load object '${path}'\n`);
    throw new ObjectFailure("load", -errno);
  }
  ctx.defer(() => collection.close());
  return collection;
}
