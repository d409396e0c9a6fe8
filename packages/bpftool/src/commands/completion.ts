// Ours: bash completion, which bpftool users get from their distribution's bash-completion package. yargs writes
// the script and runs the completion protocol; the candidates come from bpftool's grammar below (objects,
// commands, the keywords each command takes, and the ids of existing objects after `id`). Two long options that
// bpftool 7.1 does not have (it has no long option starting with "c" or "g", so getopt's prefix matching cannot
// reach them either), valid only as the first word:
//   bpftool --completion [bash]             prints the script (`source <(bpftool --completion)`)
//   bpftool --get-yargs-completions WORDS   what the script runs: candidates for the last word, one a line
import type { Sink } from "../cli/output.js";

export const COMPLETION_OPTION = "--completion";
export const COMPLETIONS_QUERY = "--get-yargs-completions";

const PROG = ["id", "pinned", "tag", "name"];
const MAP = ["id", "pinned", "name"];
const LINK = ["id", "pinned"];
const STRUCT_OPS_MAP = ["id", "name"];
const CGROUP_ATTACH_TYPES = [
  "cgroup_inet_ingress",
  "cgroup_inet_egress",
  "cgroup_inet_sock_create",
  "cgroup_sock_ops",
  "cgroup_device",
  "cgroup_inet4_bind",
  "cgroup_inet6_bind",
  "cgroup_inet4_post_bind",
  "cgroup_inet6_post_bind",
  "cgroup_inet4_connect",
  "cgroup_inet6_connect",
  "cgroup_inet4_getpeername",
  "cgroup_inet6_getpeername",
  "cgroup_inet4_getsockname",
  "cgroup_inet6_getsockname",
  "cgroup_udp4_sendmsg",
  "cgroup_udp6_sendmsg",
  "cgroup_udp4_recvmsg",
  "cgroup_udp6_recvmsg",
  "cgroup_sysctl",
  "cgroup_getsockopt",
  "cgroup_setsockopt",
  "cgroup_inet_sock_release",
];
const PROG_ATTACH_TYPES = [
  "sk_msg_verdict",
  "sk_skb_verdict",
  "sk_skb_stream_verdict",
  "sk_skb_stream_parser",
  "flow_dissector",
];

/** Per object: its commands in bpftool's table order, and the keywords each command takes after it. */
const GRAMMAR: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  prog: {
    show: PROG,
    list: PROG,
    dump: ["xlated", "jited", ...PROG, "file", "opcodes", "visual", "linum"],
    pin: PROG,
    load: ["type", "map", "dev", "pinmaps", "idx", "name", "autoattach"],
    loadall: ["type", "map", "dev", "pinmaps", "idx", "name", "autoattach"],
    attach: [...PROG, ...PROG_ATTACH_TYPES, ...MAP],
    detach: [...PROG, ...PROG_ATTACH_TYPES, ...MAP],
    tracelog: [],
    run: [...PROG, "data_in", "data_out", "data_size_out", "ctx_in", "ctx_out", "ctx_size_out", "repeat"],
    profile: [...PROG, "duration", "cycles", "instructions", "l1d_loads", "llc_misses", "itlb_misses", "dtlb_misses"],
    help: [],
  },
  map: {
    show: MAP,
    list: MAP,
    create: ["type", "key", "value", "entries", "name", "flags", "inner_map", "dev"],
    dump: MAP,
    update: [...MAP, "key", "value", "hex", "any", "exist", "noexist"],
    lookup: [...MAP, "key", "hex"],
    getnext: [...MAP, "key", "hex"],
    delete: [...MAP, "key", "hex"],
    pin: MAP,
    event_pipe: [...MAP, "cpu", "index"],
    peek: MAP,
    push: [...MAP, "value"],
    enqueue: [...MAP, "value"],
    pop: MAP,
    dequeue: MAP,
    freeze: MAP,
    help: [],
  },
  link: { show: LINK, list: LINK, help: [], pin: LINK, detach: LINK },
  cgroup: {
    show: ["effective"],
    list: ["effective"],
    tree: ["effective"],
    attach: [...CGROUP_ATTACH_TYPES, ...PROG, "multi", "override"],
    detach: [...CGROUP_ATTACH_TYPES, ...PROG],
    help: [],
  },
  perf: { show: [], list: [], help: [] },
  net: {
    show: ["dev"],
    list: ["dev"],
    attach: ["xdp", "xdpgeneric", "xdpdrv", "xdpoffload", ...PROG, "dev", "overwrite"],
    detach: ["xdp", "xdpgeneric", "xdpdrv", "xdpoffload", "dev"],
    help: [],
  },
  feature: {
    probe: ["kernel", "dev", "full", "unprivileged", "macros", "prefix"],
    list_builtins: ["prog_types", "map_types", "attach_types", "link_types", "helpers"],
    help: [],
  },
  btf: {
    show: ["id"],
    list: ["id"],
    dump: ["id", "prog", "map", "file", "format", "raw", "c", "key", "value", "kv", "all"],
    help: [],
  },
  gen: { object: [], skeleton: ["name"], subskeleton: ["name"], min_core_btf: [], help: [] },
  struct_ops: {
    show: STRUCT_OPS_MAP,
    list: STRUCT_OPS_MAP,
    register: [],
    unregister: STRUCT_OPS_MAP,
    dump: STRUCT_OPS_MAP,
    help: [],
  },
  iter: { help: [], pin: ["map", ...MAP] },
  batch: { file: [] },
  version: {},
  help: {},
};

const OPTIONS = [
  "--json",
  "--pretty",
  "--debug",
  "--bpffs",
  "--nomount",
  "--mapcompat",
  "--version",
  "--help",
  "--use-loader",
  "--base-btf",
  "--legacy",
];
/** Options that take the next word as their value. */
const WITH_VALUE = new Set(["-B", "--base-btf"]);

/** The first keyword `word` is a prefix of (bpftool's cmd_select), or undefined. */
function select(word: string, keywords: readonly string[]): string | undefined {
  return keywords.find((k) => k.startsWith(word));
}

/** Where an `id` names a kind of object, after `OBJECT COMMAND ... id`. */
function idKind(object: string, words: readonly string[]): "prog" | "map" | "link" | "btf" | undefined {
  if (object === "prog" || object === "cgroup" || (object === "net" && words.includes("attach"))) {
    // `prog attach PROG TYPE MAP`: the second spec is a map
    if (object === "prog" && words.filter((w) => PROG_ATTACH_TYPES.includes(w)).length > 0) return "map";
    return "prog";
  }
  if (object === "map" || object === "iter" || object === "struct_ops") return "map";
  if (object === "link") return "link";
  if (object === "btf") return "btf";
  return undefined;
}

async function ids(kind: "prog" | "map" | "link" | "btf"): Promise<string[]> {
  try {
    const { KernelBackend } = await import("../cli/kernel.js");
    const backend = new KernelBackend();
    const out: string[] = [];
    try {
      for (let id = backend.nextId(kind, 0); id !== null; id = backend.nextId(kind, id)) out.push(String(id));
    } finally {
      backend.close();
    }
    return out;
  } catch {
    // no bpf(2) for this user: nothing to offer
    return [];
  }
}

/**
 * Candidates for the last word of `words` (the command line as the shell splits it, the program's name first).
 * An empty list lets bash complete file names (the script asks for `-o default`).
 */
export async function candidates(words: readonly string[]): Promise<string[]> {
  const current = words.at(-1) ?? "";
  const before = words.slice(1, -1);
  const positional: string[] = [];
  for (let i = 0; i < before.length; i++) {
    const w = before[i] as string;
    if (WITH_VALUE.has(w)) i++;
    else if (!w.startsWith("-")) positional.push(w);
  }
  if (current.startsWith("-")) return OPTIONS;
  if (WITH_VALUE.has(before.at(-1) ?? "")) return [];
  if (positional.length === 0) return Object.keys(GRAMMAR);
  const object = select(positional[0] as string, Object.keys(GRAMMAR));
  if (object === undefined) return [];
  const commands = GRAMMAR[object] ?? {};
  if (positional.length === 1) return Object.keys(commands);
  const command = select(positional[1] as string, Object.keys(commands));
  if (command === undefined) return [];
  const previous = positional.at(-1);
  if (previous === "id" && positional.length > 2) {
    const kind = idKind(object, positional);
    return kind === undefined ? [] : ids(kind);
  }
  // after a keyword that takes a value (a path, a name, a number), let bash complete files
  if (
    positional.length > 2 &&
    ["pinned", "name", "tag", "file", "key", "value", "dev", "prefix"].includes(previous ?? "")
  )
    return [];
  return [...(commands[command] ?? [])];
}

/**
 * `--completion` and `--get-yargs-completions`: yargs' script and protocol over our candidates. Returns the exit
 * status.
 */
export async function completion(argv: readonly string[], sink: Sink, binName: string): Promise<number> {
  const { default: yargs } = await import("yargs");
  const query = argv[0] === COMPLETIONS_QUERY;
  if (!query && argv.length > 1 && !(argv.length === 2 && argv[1] === "bash")) {
    sink.err(`Error: ${COMPLETION_OPTION} takes no argument but "bash"\n`);
    return 255;
  }
  const words = query ? argv.slice(1) : [];
  const found = query ? await candidates(words) : [];
  // yargs calls the parse callback once as parsing ends and again with what the completion printed: keep all
  let output = "";
  let failure: unknown;
  yargs()
    .scriptName(binName)
    .completion(COMPLETION_OPTION.slice(2), false, (_current: string, _argv: unknown, done: (c: string[]) => void) =>
      done(found),
    )
    .help(false)
    .version(false)
    .parse(query ? [COMPLETIONS_QUERY, ...words] : [COMPLETION_OPTION.slice(2)], {}, (error, _parsed, text) => {
      if (error) failure ??= error;
      output += text;
    });
  await new Promise((resolve) => setImmediate(resolve));
  if (failure !== undefined) throw failure;
  // the script tells users to run `bpftool completion`: ours is the option
  const text = query ? output : output.replaceAll(`${binName} completion`, `${binName} ${COMPLETION_OPTION}`);
  if (text !== "") sink.out(text.endsWith("\n") ? text : `${text}\n`);
  return 0;
}
