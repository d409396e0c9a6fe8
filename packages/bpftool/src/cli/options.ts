// Global options, parsed by yargs' parser (yargs-parser) the way bpftool's getopt_long("VhpjfLmndB:l") takes them:
// anywhere on the line, short ones groupable (-jp), and every other word left in order for the command.
import { type BackendName, DEFAULT_OPTIONS, type GlobalOptions } from "./context.js";
import { CliError } from "./errors.js";

const FLAGS = {
  j: "json",
  p: "pretty",
  d: "debug",
  f: "bpffs",
  n: "nomount",
  m: "mapcompat",
  V: "version",
  h: "help",
  L: "use-loader",
  l: "legacy",
} as const;
const WITH_VALUE = { B: "base-btf" } as const;
/** Ours, long only. */
const OURS = ["backend"] as const;
const OURS_BOOLEAN = ["explain"] as const;

const KNOWN = new Set<string>([
  ...Object.keys(FLAGS),
  ...Object.values(FLAGS),
  ...Object.keys(WITH_VALUE),
  ...Object.values(WITH_VALUE),
  ...OURS,
  ...OURS_BOOLEAN,
  "_",
]);

export interface ParsedCommandLine {
  readonly options: GlobalOptions;
  readonly version: boolean;
  readonly help: boolean;
  /** The object keyword and its arguments. */
  readonly words: string[];
}

export async function parseCommandLine(argv: readonly string[], binName = "bpftool"): Promise<ParsedCommandLine> {
  // Without a word that starts with '-' getopt has nothing to do, and the parser is not even loaded: a one-shot
  // command (a vmlinux C dump) counts every module it loads in its start-up time and peak memory.
  if (!argv.some((word) => word.startsWith("-"))) {
    return { options: { ...DEFAULT_OPTIONS, binName }, version: false, help: false, words: [...argv] };
  }
  const { default: parse } = await import("yargs-parser");
  const parsed = parse(argv as string[], {
    boolean: [...Object.keys(FLAGS), ...OURS_BOOLEAN],
    string: [...Object.keys(WITH_VALUE), ...OURS],
    alias: { ...FLAGS, ...WITH_VALUE },
    configuration: {
      "parse-numbers": false,
      "parse-positional-numbers": false,
      "camel-case-expansion": false,
      "dot-notation": false,
      "boolean-negation": false,
      "duplicate-arguments-array": false,
      "strip-aliased": false,
      "short-option-groups": true,
      "greedy-arrays": false,
    },
  });
  for (const key of Object.keys(parsed)) {
    if (KNOWN.has(key)) continue;
    const token = argv.find((a) => a === `--${key}` || a.startsWith(`--${key}=`) || a === `-${key}`) ?? `--${key}`;
    throw new CliError(`unrecognized option '${token}'`, { usage: true });
  }
  const backend = parsed.backend === undefined ? "kernel" : String(parsed.backend);
  if (backend !== "kernel" && backend !== "vm")
    throw new CliError(`unknown backend '${backend}': expected kernel or vm`, { usage: true });
  const baseBtf = parsed.B === undefined ? undefined : String(parsed.B);
  if (parsed.B !== undefined && baseBtf === "")
    throw new CliError("option requires an argument -- 'B'", { usage: true });
  const pretty = parsed.p === true;
  return {
    options: {
      json: pretty || parsed.j === true,
      pretty,
      debug: parsed.d === true,
      bpffs: parsed.f === true,
      nomount: parsed.n === true,
      mapcompat: parsed.m === true,
      baseBtf,
      useLoader: parsed.L === true,
      backend: backend as BackendName,
      explain: parsed.explain === true,
      binName,
    },
    version: parsed.V === true,
    help: parsed.h === true,
    words: parsed._.map(String),
  };
}
