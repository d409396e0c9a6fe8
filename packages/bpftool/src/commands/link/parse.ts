// LINK on the command line, as bpftool's link_parse_fd takes it: `id LINK_ID | pinned FILE`.
import type { Fd } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf } from "../../cli/errors.js";
import { openPinnedOfType } from "../../cli/pinned-object.js";
import { strtoulU32 } from "../../cli/strtoul.js";
import { usage } from "../report.js";

/** A failure that prints bpftool's help instead of a message (NEXT_ARGP ran out of words). */
export class UsageRequested extends Error {}

function nextWord(args: Args): string {
  if (args.done) throw new UsageRequested();
  return args.next();
}

/**
 * The link LINK names; errors are bpftool's (`ret` -errno where its libbpf call returned one). The fd closes with
 * the run.
 */
export async function parseLink(ctx: Context, args: Args): Promise<Fd> {
  const backend = await ctx.backend();
  if (args.is("id")) {
    args.skip();
    const word = nextWord(args);
    const { value: id, complete } = strtoulU32(word);
    if (!complete) throw new CliError(`can't parse ${word} as ID`);
    try {
      return backend.fdById("link", id);
    } catch (error) {
      const errno = errnoOf(error);
      // bpftool prints the id with %d
      throw new CliError(`failed to get link with ID ${id | 0}: ${describeErrno(error)}`, {
        ret: errno === undefined ? -1 : -errno,
        cause: error,
      });
    }
  }
  if (args.is("pinned")) {
    args.skip();
    return openPinnedOfType(backend, nextWord(args), "link");
  }
  throw new CliError(`expected 'id' or 'pinned', got: '${args.peek() ?? "(null)"}'?`);
}

/** Runs `fn`, turning a missing word into bpftool's usage(). */
export async function withUsage(ctx: Context, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof UsageRequested) return usage(ctx);
    throw error;
  }
}
