// `bpftool [OPTIONS] OBJECT { COMMAND | help }`: global options, the table of objects, and how a run ends (the
// error line, the JSON document's end, the exit status). One module per object kind under ./commands, loaded
// only when its keyword is chosen, so a command pays only for what it uses.
import { Args, type CommandTable, type Handler, printHelp, select } from "./cli/args.js";
import { Context, DEFAULT_OPTIONS, type GlobalOptions } from "./cli/context.js";
import { CliError, exitStatus } from "./cli/errors.js";
import { parseCommandLine } from "./cli/options.js";
import { Output, processSink, type Sink } from "./cli/output.js";
import type { JsonWriter } from "./json-writer.js";

const MAIN_HELP =
  "Usage: %s [OPTIONS] OBJECT { COMMAND | help }\n" +
  "       %s batch file FILE\n" +
  "       %s version\n" +
  "\n" +
  "       OBJECT := { prog | map | link | cgroup | perf | net | feature | btf | gen | struct_ops | iter }\n" +
  "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} |\n" +
  "                    {-V|--version} }\n";

export const mainHelp: Handler = (ctx) => printHelp(ctx, MAIN_HELP);

/** An object's command table, from its module (loaded on first use). */
type TableLoader = () => Promise<{ readonly table: CommandTable }>;

function object(load: TableLoader): Handler {
  return async (ctx, args) => select(ctx, (await load()).table, args);
}

export const mainTable: CommandTable = {
  commands: [
    ["help", mainHelp],
    ["batch", async (ctx, args) => (await import("./commands/batch.js")).batch(ctx, args)],
    ["prog", object(() => import("./commands/prog/index.js"))],
    ["map", object(() => import("./commands/map/index.js"))],
    ["link", object(() => import("./commands/link.js"))],
    ["cgroup", object(() => import("./commands/cgroup.js"))],
    ["perf", object(() => import("./commands/perf.js"))],
    ["net", object(() => import("./commands/net.js"))],
    ["feature", object(() => import("./commands/feature.js"))],
    ["btf", object(() => import("./commands/btf/index.js"))],
    ["gen", object(() => import("./commands/gen/index.js"))],
    ["struct_ops", object(() => import("./commands/struct-ops.js"))],
    ["iter", object(() => import("./commands/iter.js"))],
    ["version", async (ctx) => (await import("./commands/version.js")).version(ctx)],
  ],
  help: mainHelp,
};

/** bpftool's p_err: `Error: ...` on stderr, or an `{"error": ...}` object where the JSON output stands. */
export function reportError(ctx: Context, message: string): void {
  if (ctx.json) ctx.json.startObject().name("error").unescaped(message).endObject();
  else ctx.out.error(`Error: ${message}\n`);
}

/** A command's failure as bpftool reports it; anything else (a bug) still gets one line, the stack only with -d. */
export async function handleFailure(ctx: Context, error: unknown): Promise<number> {
  if (error instanceof CliError) {
    if (!error.silent) reportError(ctx, error.message);
    // bpftool's usage() prints the help in JSON mode too, where help is `null` (`{"error":...},null`).
    if (error.usage && ctx.lastHelp) await ctx.lastHelp(ctx, ctx.lastHelpArgs ?? new Args([]));
    if (ctx.options.debug && error.cause instanceof Error && error.cause.stack) ctx.out.error(`${error.cause.stack}\n`);
    return error.ret;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  reportError(ctx, err.message.split("\n")[0] ?? String(err));
  if (ctx.options.debug && err.stack) ctx.out.error(`${err.stack}\n`);
  return -1;
}

/** Closes whatever JSON a failed command left open, so the document stays one value. */
function closeOpenJson(json: JsonWriter, depth: number): void {
  while (json.depth > depth) json.endArrayOrObject();
}

/** Runs one command line in a context; returns bpftool's return value (not yet masked to an exit status). */
export async function runWords(ctx: Context, words: readonly string[]): Promise<number> {
  const depth = ctx.json?.depth ?? 0;
  try {
    return await select(ctx, mainTable, new Args(words));
  } catch (error) {
    const ret = await handleFailure(ctx, error);
    if (ctx.json) closeOpenJson(ctx.json, depth);
    return ret;
  }
}

/** The whole process: parse, run, end the JSON document, flush. Returns the exit status. */
export async function main(argv: readonly string[], sink: Sink = processSink, binName = "bpftool"): Promise<number> {
  // ours, bash completion: options bpftool does not have, only as the first word (commands/completion.ts)
  if (argv[0] === "--completion" || argv[0] === "--get-yargs-completions")
    return (await import("./commands/completion.js")).completion(argv, sink, binName);
  const out = new Output(sink);
  let ctx: Context;
  let words: string[];
  let version = false;
  let help = false;
  try {
    const parsed = await parseCommandLine(argv, binName);
    ctx = new Context(parsed.options, out);
    words = parsed.words;
    version = parsed.version;
    help = parsed.help;
  } catch (error) {
    // Options are parsed before -j takes effect only when -j came first; bpftool behaves the same way.
    const json = argv.some((a) => /^-[a-zA-Z]*[jp]/.test(a) || a === "--json" || a === "--pretty");
    const options: GlobalOptions = { ...DEFAULT_OPTIONS, json, binName };
    ctx = new Context(options, out);
    // A bad option: bpftool prints the usage, but with -j it exits at once (clean_and_exit), with no `null`.
    ctx.lastHelp = json ? undefined : mainHelp;
    const ret = await handleFailure(ctx, error);
    return finish(ctx, ret);
  }
  // -B FILE: bpftool parses the base BTF among the options, so a bad file fails the run before any command.
  if (ctx.options.baseBtf !== undefined) {
    const failed = await (await import("./commands/btf/base.js")).parseBaseOption(ctx, argv);
    if (failed !== undefined) return failed;
  }
  let ret: number;
  try {
    if (help) ret = (await mainHelp(ctx, new Args([]))) ?? 0;
    else if (version) ret = (await import("./commands/version.js")).version(ctx);
    else ret = await runWords(ctx, words);
  } finally {
    ctx.close();
  }
  return finish(ctx, ret);
}

function finish(ctx: Context, ret: number): number {
  ctx.json?.finish();
  ctx.out.flush();
  return exitStatus(ret);
}
