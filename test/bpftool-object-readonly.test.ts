// Ours: the read-only commands on `object FILE` (prog dump xlated, map show, btf dump prog|map) work from the
// opened and prepared object, without the kernel: in-process with a kernel backend that fails when created, through
// the installed bin as an unprivileged user, and against what the kernel shows for the same object once bpftool
// 7.1.0 loaded it.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { theirsOk } from "./bpftool-oracle-support.js";
import { fixtureDir } from "./btf-dump-c-support.js";
import { BPFTOOL_BIN, jsonOf, ours, type Run } from "./support/bpftool.js";
import { describeWith, itWith, multiarchIncludes, usePinRoot, useTempDir } from "./support/env.js";
import { openFds } from "./support/failures.js";

/** Counts attempts to reach the kernel while `forbid` is set (and makes them fail). */
const guard = vi.hoisted(() => ({ forbid: false, attempts: [] as string[] }));

vi.mock("@bpfkit/kernel", async (importOriginal) => {
  const real = await importOriginal<typeof import("@bpfkit/kernel")>();
  class GuardedKernelBackend extends real.KernelBackend {
    constructor(...args: ConstructorParameters<typeof real.KernelBackend>) {
      if (guard.forbid) {
        guard.attempts.push("new KernelBackend()");
        throw new Error("the kernel backend was created");
      }
      super(...args);
    }
  }
  const loadCollection: typeof real.loadCollection = (input, options = {}) => {
    if (guard.forbid && (options.backend === undefined || options.backend instanceof real.KernelBackend)) {
      guard.attempts.push("loadCollection into the kernel");
      throw new Error("loadCollection into the kernel");
    }
    return real.loadCollection(input, options);
  };
  return { ...real, KernelBackend: GuardedKernelBackend, loadCollection };
});

const XDP_PARSE = join(fixtureDir, "xdp_parse.bpf.o");
const GLOBALS = join(fixtureDir, "globals.bpf.o");
const CORE_TASK = join(fixtureDir, "core_task.bpf.o");
const TAG = "[0-9a-f]{16}";

/** Maps the kernel creates without BTF (map-in-map, prog array, perf event array, queue), one sized by the loader. */
const MAP_KINDS_SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); };
struct inner inner_one SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } jumps SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __type(key, int); __type(value, int); } events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 8); __type(value, __u64); } queue SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");
SEC("socket")
int use_them(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 v = 1;
	void *in = bpf_map_lookup_elem(&outer_hash, &k);
	bpf_tail_call(skb, &jumps, 0);
	bpf_perf_event_output(skb, &events, BPF_F_CURRENT_CPU, &k, sizeof(k));
	bpf_map_push_elem(&queue, &v, 0);
	return in != 0 && bpf_map_lookup_elem(&lru, &k) != 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** Ours in-process with the kernel out of reach: any attempt to reach it fails the run and is counted. */
async function offline(args: readonly string[]): Promise<Run & { attempts: string[] }> {
  guard.forbid = true;
  guard.attempts = [];
  const before = openFds();
  try {
    const run = await ours(args);
    expect(openFds(), `descriptors left open by: ${args.join(" ")}`).toBe(before);
    return { ...run, attempts: guard.attempts };
  } finally {
    guard.forbid = false;
  }
}

/** A successful offline run: status 0, nothing on stderr, the kernel never reached. */
async function offlineOk(args: readonly string[]): Promise<Run> {
  const run = await offline(args);
  expect({ args: args.join(" "), status: run.status, stderr: run.stderr, attempts: run.attempts }).toEqual({
    args: args.join(" "),
    status: 0,
    stderr: "",
    attempts: [],
  });
  return run;
}

describe("read-only `object FILE` commands without the kernel (in-process, kernel backend forbidden)", () => {
  const tmp = useTempDir("bpfkit-objro-");

  it("prog dump xlated: every program with bpftool's header, map references by name, helpers by id", async () => {
    const { stdout } = await offlineOk(["prog", "dump", "xlated", "object", XDP_PARSE]);
    const [xdp, tc] = stdout.split("\n\n");
    expect(xdp).toMatch(
      new RegExp(`^0: xdp  name xdp_parse  tag ${TAG}  gpl\nint xdp_parse\\(struct xdp_md \\* ctx\\):\n`),
    );
    expect(tc).toMatch(
      new RegExp(`^0: sched_cls  name tc_count  tag ${TAG}  gpl\nint tc_count\\(struct __sk_buff \\* skb\\):\n`),
    );
    expect(xdp).toContain("; void *data = (void *)(long)ctx->data;\n");
    expect(xdp).toMatch(/^ +\d+: \(18\) r2 = map\[name:xdp_pars\.bss\]\[0\]\+0$/m);
    expect(xdp).toMatch(/^ +\d+: \(18\) r1 = map\[name:proto_count\]$/m);
    expect(xdp).toMatch(/^ +\d+: \(18\) r1 = map\[name:xdp_pars\.rodata\]\[0\]\+0$/m);
    expect(xdp).toMatch(/^ +\d+: \(85\) call bpf_map_lookup_elem#1$/m);
    // the static subprogram is linked after the program, called pc-relative
    expect(xdp).toMatch(/^ +\d+: \(85\) call pc\+\d+$/m);
    expect(xdp).toContain("\nint parse_ipv4(void * data, void * data_end):\n");
    expect(tc).toMatch(/^ +\d+: \(18\) r1 = map\[name:proto_count\]$/m);
    expect(stdout.endsWith("\n")).toBe(true);

    const one = await offlineOk(["prog", "dump", "xlated", "object", XDP_PARSE, "program", "xdp_parse"]);
    expect(one.stdout).toBe(`${xdp!.slice(xdp!.indexOf("\n") + 1)}\n`);
    const linum = await offlineOk(["prog", "dump", "xlated", "object", XDP_PARSE, "program", "xdp_parse", "linum"]);
    expect(linum.stdout).toMatch(/^; void \*data = .* \[file:.*xdp_parse\.bpf\.c line_num:33 line_col:\d+\]$/m);
    const opcodes = await offlineOk(["prog", "dump", "xlated", "object", XDP_PARSE, "program", "xdp_parse", "opcodes"]);
    expect(opcodes.stdout).toMatch(/^ +\d+: \(18\) r1 = map\[name:proto_count\]\n {7}18 11 00 00 [0-9a-f ]{35}$/m);
  });

  it("prog dump xlated: -j, -p, and file FILE writes the instructions that would be loaded", async () => {
    const several = jsonOf(await offlineOk(["-j", "prog", "dump", "xlated", "object", XDP_PARSE])) as {
      [key: string]: unknown;
      insns: { disasm: string; proto?: string; src?: string }[];
    }[];
    expect(several.map(({ insns: _, tag, ...header }) => ({ ...header, tag: typeof tag }))).toEqual([
      { id: 0, type: "xdp", name: "xdp_parse", tag: "string", gpl_compatible: true },
      { id: 0, type: "sched_cls", name: "tc_count", tag: "string", gpl_compatible: true },
    ]);
    expect(several[0]?.insns[0]).toMatchObject({
      proto: "int xdp_parse(struct xdp_md * ctx)",
      disasm: expect.any(String),
    });
    expect(several[0]?.insns.map((i) => i.disasm)).toContain("(18) r1 = map[name:proto_count]");
    const one = await offlineOk(["-p", "prog", "dump", "xlated", "object", XDP_PARSE, "program", "tc_count"]);
    expect(jsonOf(one)).toEqual(several[1]?.insns);
    expect(one.stdout).toMatch(/^\[\{\n {8}"proto": "int tc_count\(struct __sk_buff \* skb\)",\n/);

    const file = join(tmp(), "xdp_parse.insns");
    const written = await offlineOk([
      "-j",
      "prog",
      "dump",
      "xlated",
      "object",
      XDP_PARSE,
      "program",
      "xdp_parse",
      "file",
      file,
    ]);
    expect(written.stdout).toBe("null\n");
    const bytes = readFileSync(file);
    const opcodes = await offlineOk(["prog", "dump", "xlated", "object", XDP_PARSE, "program", "xdp_parse", "opcodes"]);
    const hex = opcodes.stdout
      .split("\n")
      .filter((l) => l.startsWith("       "))
      .join(" ")
      .trim()
      .split(/\s+/);
    expect(hex).toEqual([...bytes].map((b) => b.toString(16).padStart(2, "0")));
    // bpftool's refusals: one file for several programs
    const refused = await offline(["prog", "dump", "xlated", "object", XDP_PARSE, "file", file]);
    expect(refused).toMatchObject({ status: 255, stderr: "Error: several programs matched\n", attempts: [] });
  });

  it("map show: the maps the object would create, id 0, btf_id 0 where they carry BTF, no memlock", async () => {
    const plain = await offlineOk(["map", "show", "object", XDP_PARSE]);
    expect(plain.stdout).toBe(
      "0: array  name proto_count  flags 0x0\n\tkey 4B  value 8B  max_entries 256\n\tbtf_id 0\n" +
        "0: array  name xdp_pars.rodata  flags 0x480\n\tkey 4B  value 4B  max_entries 1\n\tbtf_id 0  frozen\n" +
        "0: array  name xdp_pars.bss  flags 0x400\n\tkey 4B  value 8B  max_entries 1\n\tbtf_id 0\n",
    );
    const json = await offlineOk(["-j", "map", "show", "object", XDP_PARSE, "map", "xdp_pars.rodata"]);
    expect(json.stdout).toBe(
      '{"id":0,"type":"array","name":"xdp_pars.rodata","flags":1152,"bytes_key":4,"bytes_value":4,' +
        '"max_entries":1,"frozen":1,"btf_id":0}\n',
    );
    const all = jsonOf(await offlineOk(["-j", "map", "show", "object", GLOBALS])) as { name: string }[];
    expect(all.map((m) => m.name)).toEqual([
      "globals.data",
      "globals.rodata",
      ".data.custom",
      ".rodata.custom",
      "globals.bss",
    ]);
    const missing = await offline(["map", "show", "object", XDP_PARSE, "map", "nope"]);
    expect(missing).toMatchObject({
      status: 255,
      stderr: `Error: no map named 'nope' in ${XDP_PARSE} (maps: proto_count, xdp_pars.rodata, xdp_pars.bss)\n`,
      attempts: [],
    });
  });

  it("btf dump prog object: one BTF for all the object's programs", async () => {
    for (const mode of [[], ["-j"]]) {
      const all = await offlineOk([...mode, "btf", "dump", "prog", "object", XDP_PARSE]);
      const one = await offlineOk([...mode, "btf", "dump", "prog", "object", XDP_PARSE, "program", "tc_count"]);
      expect(all.stdout).toBe(one.stdout);
      expect(all.stdout.length).toBeGreaterThan(100);
    }
    const c = await offlineOk([
      "btf",
      "dump",
      "map",
      "object",
      XDP_PARSE,
      "map",
      "proto_count",
      "value",
      "format",
      "c",
    ]);
    expect(c.stdout).toContain("typedef unsigned long long __u64;");
  });

  it("errors are reported without reaching the kernel; other `object FILE` uses still load", async () => {
    const nope = await offline(["prog", "dump", "xlated", "object", XDP_PARSE, "program", "nope"]);
    expect(nope).toMatchObject({ status: 255, attempts: [] });
    expect(nope.stderr).toBe(`Error: no program named 'nope' in ${XDP_PARSE} (has: xdp_parse, tc_count)\n`);
    const notElf = await offline(["map", "show", "object", "/proc/self/status"]);
    expect(notElf).toMatchObject({ status: 255, attempts: [] });
    expect(notElf.stderr).toMatch(/^libbpf: elf: \/proc\/self\/status: .*\nError: failed to open object file\n$/);
    const missing = await offline(["prog", "dump", "xlated", "object", join(fixtureDir, "nope.o")]);
    expect(missing).toMatchObject({ status: 255, attempts: [] });
    expect(missing.stderr).toContain("Error: failed to open object file\n");
    // the guard sees what does reach for the kernel: these commands need it
    for (const args of [
      ["prog", "show", "object", XDP_PARSE],
      ["map", "dump", "object", XDP_PARSE, "map", "proto_count"],
      ["prog", "dump", "xlated", "object", XDP_PARSE, "program", "xdp_parse", "visual"],
      ["prog", "dump", "jited", "object", XDP_PARSE, "program", "xdp_parse"],
    ]) {
      const run = await offline(args);
      expect({ args: args.join(" "), reached: run.attempts.length > 0, status: run.status }).toEqual({
        args: args.join(" "),
        reached: true,
        status: 255,
      });
    }
  });
});

/** An unprivileged run of the installed bin: uid/gid nobody, no groups, no capabilities (as the issue runs it). */
function unprivileged(args: readonly string[]): Run {
  const r = spawnSync(
    "setpriv",
    ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", BPFTOOL_BIN, ...args],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? 128 + 9 };
}

const INSN = /^( *)(\d+): (.*)$/;
const JUMP = /^(\(\w\w\) (?:if .* )?goto pc)([+-]\d+)$/;
const SUBPROG_CALL = /^(\(85\) call pc)([+-]\d+)(?:#bpf_prog_[0-9a-f]{16}_\w+)?$/;
/** The seven instructions array_map_gen_lookup puts where a call to bpf_map_lookup_elem on an array map was. */
const INLINED_ARRAY_LOOKUP = [
  /^\(07\) r1 \+= \d+$/,
  /^\(61\) r0 = \*\(u32 \*\)\(r2 \+0\)$/,
  /^\(35\) if r0 >= 0x[0-9a-f]+ goto pc\+3$/,
  /^\((?:67\) r0 <<= \d+|27\) r0 \*= \d+)$/,
  /^\(0f\) r0 \+= r1$/,
  /^\(05\) goto pc\+1$/,
  /^\(b7\) r0 = 0$/,
];

/**
 * The kernel's xlated dump taken back to the instructions it was given, for what the verifier changes that can be
 * undone: map ids become the maps' names (ours: `map[name:NAME]`), each inlined array lookup becomes the helper
 * call again (and the instructions after it move back, jumps and pc-relative calls over it shrink), a subprogram
 * call loses its JITed symbol. Helper calls keep their name and lose the number after `#` (a kernel address
 * offset there, the helper id in ours: ours is normalized the same way). What it cannot undo, context accesses,
 * is left for the test to name.
 */
function asLoaded(dump: string, mapNames: ReadonlyMap<number, string>): string[] {
  const lines = dump.split("\n");
  const insns = lines.flatMap((line, at) => {
    const m = INSN.exec(line);
    return m ? [{ at, index: Number(m[2]), text: m[3]! }] : [];
  });
  // old index -> new index, dropping inlined lookups
  const removed = new Set<number>();
  const replaced = new Map<number, string>();
  for (let i = 0; i < insns.length; i++) {
    if (!/^\(18\) r1 = map\[id:\d+\]$/.test(insns[i]!.text)) continue;
    const run = insns.slice(i + 1, i + 1 + INLINED_ARRAY_LOOKUP.length);
    if (run.length !== INLINED_ARRAY_LOOKUP.length || !run.every((insn, k) => INLINED_ARRAY_LOOKUP[k]!.test(insn.text)))
      continue;
    replaced.set(run[0]!.at, "(85) call bpf_map_lookup_elem");
    for (const insn of run.slice(1)) removed.add(insn.at);
  }
  const newIndex = new Map<number, number>();
  let next = 0;
  for (const insn of insns) {
    newIndex.set(insn.index, next);
    if (!removed.has(insn.at)) next += insn.text.startsWith("(18)") ? 2 : 1;
    else newIndex.set(insn.index, next - 1);
  }
  const end = next;
  const moved = (from: number, offset: number): number => {
    const target = newIndex.get(from + 1 + offset) ?? end;
    return target - (newIndex.get(from) ?? 0) - 1;
  };
  const signed = (n: number) => (n < 0 ? `${n}` : `+${n}`);
  const out: string[] = [];
  lines.forEach((line, at) => {
    if (removed.has(at)) return;
    const m = INSN.exec(line);
    if (!m) {
      out.push(line);
      return;
    }
    const index = Number(m[2]);
    let text = replaced.get(at) ?? m[3]!;
    text = text.replace(/map\[id:(\d+)\]/, (_, id: string) => `map[name:${mapNames.get(Number(id)) ?? `?${id}`}]`);
    text = text.replace(SUBPROG_CALL, (_, head: string, off: string) => `${head}${signed(moved(index, Number(off)))}`);
    text = text.replace(JUMP, (_, head: string, off: string) => `${head}${signed(moved(index, Number(off)))}`);
    text = text.replace(/^(\(85\) call [a-z_]\w*)#-?\d+$/, "$1");
    const now = newIndex.get(index) ?? index;
    out.push(`${String(now).padStart(4, " ")}: ${text}`);
  });
  return out;
}

/** Ours, helper numbers dropped as asLoaded drops the kernel's. */
function oursNormalized(dump: string): string[] {
  return dump.split("\n").map((line) => line.replace(/^( *\d+: \(85\) call [a-z_]\w*)#\d+$/, "$1"));
}

/** The lines that still differ, pairwise (the dumps have the same number of lines once normalized). */
function differing(mine: string[], kernel: string[]): { ours: string; kernel: string }[] {
  expect(mine.length).toBe(kernel.length);
  return mine.flatMap((line, i) => (line === kernel[i] ? [] : [{ ours: line, kernel: kernel[i]! }]));
}

describeWith(["root", "bpftool", "bpffs"], "read-only `object FILE` commands against the kernel's view", () => {
  const pinRoot = usePinRoot();
  let progs = "";
  let maps = "";

  /** bpftool 7.1.0 loads the object, its programs pinned under progs/, its maps (by name, dots as _) under maps/. */
  function load(object: string): void {
    progs = `${pinRoot()}/progs`;
    maps = `${pinRoot()}/maps`;
    theirsOk(["prog", "loadall", object, progs, "pinmaps", maps]);
  }

  beforeEach(() => {
    progs = "";
    maps = "";
  });

  function kernelMapNames(): Map<number, string> {
    const out = new Map<number, string>();
    for (const pin of spawnSync("ls", [maps], { encoding: "utf8" }).stdout.split("\n").filter(Boolean)) {
      const info = jsonOf(theirsOk(["-j", "map", "show", "pinned", `${maps}/${pin}`])) as { id: number; name: string };
      out.set(info.id, info.name);
    }
    return out;
  }

  itWith(["root"], "the installed bin runs the three commands as an unprivileged user, as in-process", async () => {
    // the same user is refused where the kernel is needed: the commands below do not need it
    const refused = unprivileged(["prog", "show", "object", XDP_PARSE]);
    expect(refused.status).toBe(255);
    expect(refused.stderr).toContain("EPERM");
    for (const args of [
      ["prog", "dump", "xlated", "object", XDP_PARSE],
      ["-j", "prog", "dump", "xlated", "object", XDP_PARSE],
      ["prog", "dump", "xlated", "object", XDP_PARSE, "program", "tc_count", "linum"],
      ["-p", "prog", "dump", "xlated", "object", XDP_PARSE, "program", "xdp_parse", "opcodes"],
      ["prog", "dump", "xlated", "object", CORE_TASK],
      ["map", "show", "object", XDP_PARSE],
      ["-j", "map", "show", "object", GLOBALS],
      ["-j", "map", "show", "object", CORE_TASK, "map", "results"],
      ["btf", "dump", "prog", "object", XDP_PARSE],
      ["-j", "btf", "dump", "prog", "object", XDP_PARSE],
      ["btf", "dump", "map", "object", XDP_PARSE, "map", "proto_count", "format", "c"],
    ]) {
      const asNobody = unprivileged(args);
      const inProcess = await ours(args);
      expect({ args: args.join(" "), ...asNobody }).toEqual({ args: args.join(" "), ...inProcess, status: 0 });
      expect(inProcess.stderr).toBe("");
    }
    // a typeless ksym: the address the user sees in /proc/kallsyms, 0 when the kernel hides it (as libbpf loads it)
    const externs = unprivileged(["prog", "dump", "xlated", "object", join(fixtureDir, "externs.bpf.o")]);
    expect(externs).toMatchObject({ status: 0, stderr: "" });
    expect(externs.stdout).toMatch(/^; seen_ksym = \(__u64\)&bpf_prog_put;\n.*\n +\d+: \(18\) r2 = 0x0$/m);
    expect((await ours(["prog", "dump", "xlated", "object", join(fixtureDir, "externs.bpf.o")])).stdout).toMatch(
      /^; seen_ksym = \(__u64\)&bpf_prog_put;\n.*\n +\d+: \(18\) r2 = 0xffff[0-9a-f]{12}$/m,
    );
  });

  it("prog dump xlated: the kernel's instructions of the loaded object, less what the verifier rewrote", async () => {
    load(XDP_PARSE);
    const names = kernelMapNames();
    // what the verifier does that cannot be taken back: the context loads are rewritten to the kernel's structs
    const contextLoads: Record<string, { ours: RegExp; kernel: RegExp }[]> = {
      xdp_parse: [
        // ctx->data_end, ctx->data: xdp_md's u32 fields are xdp_buff's pointers
        {
          ours: /^ {3}0: \(61\) r2 = \*\(u32 \*\)\(r1 \+4\)$/,
          kernel: /^ {3}0: \(79\) r2 = \*\(u64 \*\)\(r1 \+\d+\)$/,
        },
        {
          ours: /^ {3}1: \(61\) r1 = \*\(u32 \*\)\(r1 \+0\)$/,
          kernel: /^ {3}1: \(79\) r1 = \*\(u64 \*\)\(r1 \+\d+\)$/,
        },
      ],
      // skb->protocol: __sk_buff's u32 is sk_buff's u16
      tc_count: [
        {
          ours: /^ {3}0: \(61\) r2 = \*\(u32 \*\)\(r1 \+16\)$/,
          kernel: /^ {3}0: \(69\) r2 = \*\(u16 \*\)\(r1 \+\d+\)$/,
        },
      ],
    };
    for (const [program, expected] of Object.entries(contextLoads)) {
      const kernel = theirsOk(["prog", "dump", "xlated", "pinned", `${progs}/${program}`]).stdout;
      const mine = (await ours(["prog", "dump", "xlated", "object", XDP_PARSE, "program", program])).stdout;
      const rest = differing(oursNormalized(mine), asLoaded(kernel, names));
      expect(rest.length, program).toBe(expected.length);
      rest.forEach((pair, i) => {
        expect(pair.ours, program).toMatch(expected[i]!.ours);
        expect(pair.kernel, program).toMatch(expected[i]!.kernel);
      });
      // the undoing is needed: the raw dumps differ (ids, the inlined lookup, the subprogram's symbol)
      expect(mine).not.toBe(kernel);
      expect(kernel).toMatch(/map\[id:\d+\]/);

      // JSON: the same prototypes and source lines, in the same order
      const annotations = (text: string) =>
        (JSON.parse(text) as { proto?: string; src?: string }[]).flatMap(({ proto, src }) =>
          proto === undefined && src === undefined ? [] : [{ proto, src }],
        );
      expect(
        annotations((await ours(["-j", "prog", "dump", "xlated", "object", XDP_PARSE, "program", program])).stdout),
      ).toEqual(annotations(theirsOk(["-j", "prog", "dump", "xlated", "pinned", `${progs}/${program}`]).stdout));
    }
    // several programs: bpftool's header each, the kernel's tag and name, id 0
    const headers = (await ours(["prog", "dump", "xlated", "object", XDP_PARSE])).stdout
      .split("\n")
      .filter((l) => /^0: /.test(l));
    expect(headers).toEqual(
      ["xdp_parse", "tc_count"].map((p) =>
        theirsOk(["prog", "show", "pinned", `${progs}/${p}`])
          .stdout.split("\n")[0]!
          .replace(/^\d+:/, "0:"),
      ),
    );
    const json = jsonOf(await ours(["-j", "prog", "dump", "xlated", "object", XDP_PARSE])) as Record<string, unknown>[];
    for (const [i, p] of ["xdp_parse", "tc_count"].entries()) {
      const shown = jsonOf(theirsOk(["-j", "prog", "show", "pinned", `${progs}/${p}`])) as Record<string, unknown>;
      const { insns: _, ...header } = json[i]!;
      expect(header).toEqual({
        id: 0,
        type: shown.type,
        name: shown.name,
        tag: shown.tag,
        gpl_compatible: shown.gpl_compatible,
      });
    }
  });

  itWith(
    ["vmlinux-btf"],
    "prog dump xlated: CO-RE relocated against this machine's vmlinux as libbpf does",
    async () => {
      load(CORE_TASK);
      const kernel = asLoaded(
        theirsOk(["prog", "dump", "xlated", "pinned", `${progs}/core_task`]).stdout,
        kernelMapNames(),
      );
      const mine = oursNormalized((await ours(["prog", "dump", "xlated", "object", CORE_TASK])).stdout);
      // Equal up to the first branch the verifier resolved from the relocated constants (a bitfield read's
      // `r2 = 0; if r2 == 0x0 goto`): it removes that branch and the code it makes dead (a poisoned relocation's),
      // which the instructions as loaded still have. Jumps over that code are shorter in the kernel's: the only
      // other difference before it.
      const masked = (line: string | undefined) => line?.replace(/goto pc[+-]\d+$/, "goto pc?");
      let same = 0;
      while (masked(mine[same]) === masked(kernel[same])) same++;
      const jumps = mine.slice(0, same).flatMap((line, i) => (line === kernel[i] ? [] : [[line, kernel[i] ?? ""]]));
      expect(jumps.length).toBeGreaterThan(0);
      const offset = (line: string) => Number(/goto pc\+(\d+)$/.exec(line)?.[1]);
      for (const [m = "", k = ""] of jumps) expect(offset(k)).toBeLessThan(offset(m));
      expect(mine[same]).toMatch(/^ +\d+: \(15\) if r2 == 0x0 goto pc\+2$/);
      expect(mine.slice(0, same).filter((l) => / r1 = \d{3,}$/.test(l)).length).toBeGreaterThan(8);
      expect(mine.slice(0, same).join("\n")).toContain("; r->pid = BPF_CORE_READ(task, pid);");
    },
  );

  const work = useTempDir("bpfkit-objro-k-");

  /** Map types the kernel creates without BTF, a perf event array sized by the loader, map flags. */
  function mapKinds(): string {
    const src = join(work(), "map_kinds.bpf.c");
    const out = join(work(), "map_kinds.bpf.o");
    writeFileSync(src, MAP_KINDS_SOURCE);
    execFileSync("clang-19", ["-target", "bpf", "-g", "-O2", ...multiarchIncludes(), "-c", src, "-o", out]);
    return out;
  }

  itWith(["clang"], "map show: the kernel's maps of the loaded object, less what the kernel assigns", async () => {
    for (const object of [XDP_PARSE, GLOBALS, CORE_TASK, mapKinds()]) {
      load(object);
      const list = jsonOf(await ours(["-j", "map", "show", "object", object])) as { name: string }[];
      const mapsOf = Array.isArray(list) ? list : [list];
      expect(mapsOf.length, object).toBeGreaterThan(0);
      for (const { name } of mapsOf) {
        const pinned = `${maps}/${name.replaceAll(".", "_")}`;
        const kernelJson = jsonOf(theirsOk(["-j", "map", "show", "pinned", pinned])) as Record<string, unknown>;
        const { bytes_memlock: _m, owner_prog_type: _o, owner_jited: _j, ...rest } = kernelJson;
        const expected = { ...rest, id: 0, ...("btf_id" in rest ? { btf_id: 0 } : {}) };
        const mineJson = await ours(["-j", "map", "show", "object", object, "map", name]);
        expect(jsonOf(mineJson), `${object} ${name}`).toEqual(expected);
        // same keys in the same order, same text once the kernel's numbers are ours
        expect(mineJson.stdout).toBe(`${JSON.stringify(expected)}\n`);
        const kernelPlain = theirsOk(["map", "show", "pinned", pinned]).stdout;
        const plainExpected = kernelPlain
          .replace(/^\d+:/, "0:")
          .replace(/ {2}memlock \d+B/, "")
          .replace(/\n\towner_prog_type [^\n]*/, "")
          .replace(/btf_id \d+/, "btf_id 0");
        expect((await ours(["map", "show", "object", object, "map", name])).stdout, `${object} ${name}`).toBe(
          plainExpected,
        );
      }
      rmSync(progs, { recursive: true, force: true });
      rmSync(maps, { recursive: true, force: true });
    }
  });

  it("btf dump prog|map object: the BTF the kernel holds for the loaded object", async () => {
    load(XDP_PARSE);
    for (const mode of [[], ["-j"]]) {
      const kernel = theirsOk([...mode, "btf", "dump", "prog", "pinned", `${progs}/tc_count`]).stdout;
      expect((await ours([...mode, "btf", "dump", "prog", "object", XDP_PARSE])).stdout).toBe(kernel);
      for (const which of [[], ["key"], ["value"], ["all"]]) {
        expect(
          (await ours([...mode, "btf", "dump", "map", "object", XDP_PARSE, "map", "proto_count", ...which])).stdout,
        ).toBe(theirsOk([...mode, "btf", "dump", "map", "pinned", `${maps}/proto_count`, ...which]).stdout);
      }
    }
    expect((await ours(["btf", "dump", "prog", "object", XDP_PARSE, "format", "c"])).stdout).toBe(
      theirsOk(["btf", "dump", "prog", "pinned", `${progs}/xdp_parse`, "format", "c"]).stdout,
    );
  });
});
