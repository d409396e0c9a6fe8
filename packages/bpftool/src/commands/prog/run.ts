// `prog run PROG data_in FILE [data_out FILE [data_size_out L]] [ctx_in FILE [ctx_out FILE [ctx_size_out M]]]
// [repeat N]` (bpftool's do_run: BPF_PROG_TEST_RUN), plus ours, `dump_maps`: with PROG `object FILE`, every map of
// the object after the run, keyed by map name (`map dump` JSON form under "maps").
import { readFileSync, writeFileSync } from "node:fs";
import type { Collection } from "@bpfkit/kernel";
import type { Backend, Fd, TestRunResult } from "@bpfkit/loader";
import { type Args, type CommandResult, isPrefix } from "../../cli/args.js";
import type { Context } from "../../cli/context.js";
import { CliError, describeErrno, errnoOf } from "../../cli/errors.js";
import { resolveProgTarget, singleProg } from "../../cli/prog-spec.js";
import { strtoul } from "../../cli/strtoul.js";
import { dumpCollectionMaps } from "./run-maps.js";

/** bpftool's default output buffer for data and context: SZ_32K. */
const DEFAULT_SIZE = 32 * 1024;

interface RunOptions {
  dataIn?: string;
  dataOut?: string;
  dataSizeOut: number;
  ctxIn?: string;
  ctxOut?: string;
  ctxSizeOut: number;
  repeat: number;
  dumpMaps: boolean;
}

/** bpftool's detect_common_prefix: a word that is a prefix of two or more of the keywords is ambiguous. */
function ambiguous(word: string, keywords: readonly string[]): void {
  const matches = keywords.filter((k) => isPrefix(word, k));
  if (matches.length >= 2) throw new CliError(`ambiguous prefix: '${word}' could be '${matches.join("' or '")}'`);
}

/** The word after the keyword at the cursor (bpftool's NEXT_ARG, REQ_ARGS(1), GET_ARG). */
function value(args: Args): string {
  args.skip();
  args.reqArgs(1);
  return args.next();
}

/** The keyword's value as strtoul with bpftool's "can't parse" message, truncated to unsigned int. */
function number(args: Args, what: string): number {
  const word = value(args);
  const parsed = strtoul(word);
  if (!parsed.complete) throw new CliError(`can't parse ${word} as ${what}`);
  return Number(BigInt.asUintN(32, parsed.value));
}

function parseOptions(args: Args): RunOptions {
  const o: RunOptions = { dataSizeOut: 0, ctxSizeOut: 0, repeat: 1, dumpMaps: false };
  const stdinTwice = () => {
    if (o.dataIn === "-" && o.ctxIn === "-")
      throw new CliError("cannot use standard input for both data_in and ctx_in");
  };
  while (!args.done) {
    const word = args.peek() as string;
    ambiguous(word, ["data_in", "data_out", "data_size_out"]);
    ambiguous(word, ["ctx_in", "ctx_out", "ctx_size_out"]);
    if (args.is("data_in")) {
      o.dataIn = value(args);
      stdinTwice();
    } else if (args.is("data_out")) {
      o.dataOut = value(args);
    } else if (args.is("data_size_out")) {
      o.dataSizeOut = number(args, "output data size");
    } else if (args.is("ctx_in")) {
      o.ctxIn = value(args);
      stdinTwice();
    } else if (args.is("ctx_out")) {
      o.ctxOut = value(args);
    } else if (args.is("ctx_size_out")) {
      o.ctxSizeOut = number(args, "output context size");
    } else if (args.is("repeat")) {
      o.repeat = number(args, "repeat number");
    } else if (word === "dump_maps") {
      args.skip();
      o.dumpMaps = true;
    } else {
      throw new CliError(
        "expected no more arguments, 'data_in', 'data_out', 'data_size_out', 'ctx_in', 'ctx_out', " +
          `'ctx_size_out' or 'repeat', got: '${word}'?`,
      );
    }
  }
  return o;
}

/** bpftool's get_run_data: the whole file, or standard input for "-". */
function readRunData(name: string | undefined): Uint8Array | undefined {
  if (name === undefined) return undefined;
  try {
    return new Uint8Array(readFileSync(name === "-" ? 0 : name));
  } catch (error) {
    throw new CliError(`failed to open ${name}: ${describeErrno(error)}`, { cause: error });
  }
}

/** bpftool's hex_print: offset, 16 bytes in pairs, and their ASCII. */
export function hexPrint(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.length; i += 16) {
    out += `${i.toString(16).padStart(7, "0")}\t`;
    let j = i;
    for (; j < i + 16 && j < data.length; j++) out += `${data[j]!.toString(16).padStart(2, "0")}${j % 2 ? " " : ""}`;
    for (; j < i + 16; j++) out += `  ${j % 2 ? " " : ""}`;
    out += "| ";
    for (j = i; j < i + 16 && j < data.length; j++) {
      const c = data[j]!;
      out += `${c < 0x20 || c > 0x7e ? "." : String.fromCharCode(c)}${j === i + 7 ? " " : ""}`;
    }
    out += "\n";
  }
  return out;
}

/** bpftool's print_run_output: to stdout for "-" (hex, or decimal bytes in JSON), else to the file. Errors count. */
function printRunOutput(ctx: Context, data: Uint8Array, name: string | undefined, key: string): number {
  if (name === undefined) return 0;
  if (name === "-") {
    if (ctx.json) {
      ctx.json.name(key).startArray();
      for (const b of data) ctx.json.number(b);
      ctx.json.endArray();
    } else {
      ctx.out.print(hexPrint(data));
    }
    return 0;
  }
  try {
    writeFileSync(name, data);
  } catch (error) {
    const text = `failed to open ${name}: ${describeErrno(error)}`;
    if (ctx.json) ctx.json.startObject().name("error").unescaped(text).endObject();
    else ctx.out.error(`Error: ${text}\n`);
    return -1;
  }
  return 0;
}

function testRun(backend: Backend, fd: Fd, o: RunOptions, dataIn?: Uint8Array, ctxIn?: Uint8Array): TestRunResult {
  try {
    return backend.testRun(fd, {
      dataIn,
      dataSizeOut: dataIn ? o.dataSizeOut || DEFAULT_SIZE : o.dataSizeOut,
      ctxIn,
      ctxSizeOut: ctxIn ? o.ctxSizeOut || DEFAULT_SIZE : o.ctxSizeOut,
      repeat: o.repeat,
    });
  } catch (error) {
    // libbpf returns -errno, which bpftool returns as is (ENOSPC: exit status 228)
    const errno = errnoOf(error);
    throw new CliError(`failed to run program: ${describeErrno(error)}`, {
      ret: errno === undefined ? -1 : -errno,
      cause: error,
    });
  }
}

export async function doRun(ctx: Context, args: Args): Promise<CommandResult> {
  args.reqArgs(4);
  const { fd, collection } = singleProg(await resolveProgTarget(ctx, args));
  try {
    const o = parseOptions(args);
    if (o.dumpMaps && collection === undefined)
      throw new CliError("dump_maps needs PROG as 'object FILE [program NAME]' (the maps of that object)");
    const dataIn = readRunData(o.dataIn);
    const ctxIn = readRunData(o.ctxIn);
    // An object FILE program lives where the object was loaded (the VM with --backend vm).
    const backend = collection ? await ctx.objectBackend() : await ctx.backend();
    const result = testRun(backend, fd, o, dataIn, ctxIn);
    return await printResult(ctx, o, result, collection);
  } finally {
    fd.close();
  }
}

async function printResult(
  ctx: Context,
  o: RunOptions,
  result: TestRunResult,
  collection: Collection | undefined,
): Promise<number> {
  const json = ctx.json;
  json?.startObject();
  // printing errors do not stop the run's own report
  let err = 0;
  if (result.dataOut.length > 0) err += printRunOutput(ctx, result.dataOut, o.dataOut, "data_out");
  if (result.ctxOut.length > 0) err += printRunOutput(ctx, result.ctxOut, o.ctxOut, "ctx_out");
  if (json) {
    json.numberField("retval", result.retval);
    json.numberField("duration", result.duration);
  } else {
    ctx.out.print(
      `Return value: ${result.retval}, duration${o.repeat > 1 ? " (average)" : ""}: ${result.duration}ns\n`,
    );
  }
  if (o.dumpMaps && collection !== undefined) await dumpCollectionMaps(ctx, collection);
  json?.endObject();
  return err;
}
