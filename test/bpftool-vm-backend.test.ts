// `--backend vm` on every command that takes PROG or MAP: with `object FILE` the object is loaded into the userspace
// VM, and each command prints what it prints for the same object loaded into the kernel. Against the kernel (root):
// our CLI twice on the same fixtures, the kernel backend and the VM, JSON (-j) and plain text compared once what
// legitimately differs is normalised:
// - ids (programs, maps, BTF objects; also the ids a prog array or map-in-map holds) are renumbered in order of
//   first appearance: the kernel's are global, the VM's its own handles;
// - `loaded_at` (the second of each load);
// - `prog show`'s xlated size, `jited`/`bytes_jited` and `memlock`/`bytes_memlock`: the kernel's xlated program is
//   the verifier's rewrite and is JITed and charged to memlock; the VM runs the instructions as loaded, not JITed,
//   with no memlock accounting (checked on their own below);
// - `prog dump xlated ... visual` is compared where the verifier rewrites nothing (xdp_pass).
// Without root: the VM commands never reach bpf(2) (the syscall count stays put) nor create a KernelBackend; forms
// that name kernel objects and commands the VM cannot serve fail with one line; and as user nobody (when this runs
// as root) the installed bin gives the same output as root, its uid aside.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KernelBackend, loadCollection } from "@bpfkit/kernel";
import { openObject, type ProgExtInfo, type ProgInfo } from "@bpfkit/loader";
import { VmBackend } from "@bpfkit/vm";
import { describe, expect, it, vi } from "vitest";
import { BpftoolVm } from "../packages/bpftool/src/cli/vm-backend.js";
import { bpfCallCount } from "../packages/kernel/src/syscall.js";
import { fixturePath } from "./loader-support.js";
import { BPFTOOL_BIN, jsonOf, ours, type Run } from "./support/bpftool.js";
import { describeWith, itWith, useTempDir } from "./support/env.js";
import { ipv4Packet } from "./support/packets.js";

/** KernelBackend constructions, counted while `counting` is set. */
const kernelBackends = vi.hoisted(() => ({ counting: false, created: 0 }));

vi.mock("@bpfkit/kernel", async (importOriginal) => {
  const real = await importOriginal<typeof import("@bpfkit/kernel")>();
  class CountedKernelBackend extends real.KernelBackend {
    constructor(...args: ConstructorParameters<typeof real.KernelBackend>) {
      super(...args);
      if (kernelBackends.counting) kernelBackends.created++;
    }
  }
  return { ...real, KernelBackend: CountedKernelBackend };
});

/** Fixtures whose every program loads in both the kernel and the VM. */
const FIXTURES = [
  "xdp_parse",
  "xdp_pass",
  "globals",
  "btf_kinds",
  "core_matches",
  "subprogs",
  "tail_calls",
  "maps",
  "bpftool_maps",
  "loader_extra",
];

const VM = ["--backend", "vm"];

/** Ids renumbered per kind in order of first appearance, so that the kernel's and the VM's compare. */
class Ids {
  readonly #kinds = new Map<string, Map<number, string>>();

  of(kind: string, id: unknown): string {
    const ids = this.#kinds.get(kind) ?? new Map<number, string>();
    this.#kinds.set(kind, ids);
    const name = ids.get(Number(id)) ?? `${kind}#${ids.size + 1}`;
    ids.set(Number(id), name);
    return name;
  }
}

type Json = Record<string, unknown>;

/** `prog show -j`: ids renumbered, the load time and what only the kernel has (see above) dropped. */
function progsJson(doc: unknown, ids: Ids): unknown {
  const one = (p: Json) => {
    const { id, map_ids, btf_id, loaded_at, bytes_xlated, jited, bytes_jited, bytes_memlock, ...rest } = p;
    return {
      ...rest,
      id: ids.of("prog", id),
      loaded_at: typeof loaded_at,
      ...(map_ids === undefined ? {} : { map_ids: (map_ids as number[]).map((m) => ids.of("map", m)) }),
      ...(btf_id === undefined ? {} : { btf_id: ids.of("btf", btf_id) }),
    };
  };
  return Array.isArray(doc) ? doc.map(one) : one(doc as Json);
}

/** `prog show` in plain text, normalised as progsJson. */
function progsPlain(text: string, ids: Ids): string {
  return text
    .replace(/^(\d+):/gm, (_, id) => `${ids.of("prog", id)}:`)
    .replace(/loaded_at \S+ {2}uid/g, "loaded_at TIME  uid")
    .replace(/xlated \d+B {2}(?:jited \d+B|not jited)(?: {2}memlock \d+B)?/g, "xlated ...")
    .replace(/map_ids ([\d,]+)/g, (_, list: string) => `map_ids ${list.split(",").map((m) => ids.of("map", m))}`)
    .replace(/btf_id (\d+)/g, (_, id) => `btf_id ${ids.of("btf", id)}`);
}

/** What the values of a map type are ids of, if they are. */
function idKind(type: unknown): string | undefined {
  if (type === "prog_array") return "prog";
  if (type === "array_of_maps" || type === "hash_of_maps") return "map";
  return undefined;
}

/** `map dump -j` entries, the values of id maps renumbered. */
function entriesJson(entries: Json[], kind: string | undefined, ids: Ids): Json[] {
  if (kind === undefined) return entries;
  return entries.map((e) => {
    const bytes = (e.value as string[]).map((b) => Number.parseInt(b, 16));
    const id = bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24);
    const formatted = e.formatted as Json | undefined;
    return {
      ...e,
      value: ids.of(kind, id),
      ...(formatted === undefined ? {} : { formatted: { ...formatted, value: ids.of(kind, formatted.value) } }),
    };
  });
}

/** `map dump -j` of one map (entries) or several (headers with elements), ids renumbered. */
function dumpJson(doc: unknown, ids: Ids, type?: string): unknown {
  if (!Array.isArray(doc)) return doc;
  if (doc.length > 0 && (doc[0] as Json).elements !== undefined) {
    return doc.map((m: Json) =>
      m.elements === undefined
        ? m
        : { ...m, id: ids.of("map", m.id), elements: entriesJson(m.elements as Json[], idKind(m.type), ids) },
    );
  }
  return entriesJson(doc as Json[], idKind(type), ids);
}

/** `map dump` as text (maps without id values; also -j output bpftool makes invalid JSON), map ids renumbered. */
function dumpPlain(text: string, ids: Ids): string {
  return text
    .replace(/^(\d+): /gm, (_, id) => `${ids.of("map", id)}: `)
    .replace(/"id": ?(\d+)/g, (_, id) => `"id": "${ids.of("map", id)}"`);
}

/** Parsed -j output, or undefined where bpftool prints no JSON document (nothing, or its invalid JSON). */
function parsed(run: Run): unknown {
  try {
    return JSON.parse(run.stdout);
  } catch {
    return undefined;
  }
}

/** Two `map dump -j` runs compared: as JSON with ids renumbered, as text where bpftool's JSON does not parse. */
function expectSameDump(what: string, vm: Run, kernel: Run, type?: string): void {
  expect([what, vm.status, vm.stderr]).toEqual([what, kernel.status, kernel.stderr]);
  const [v, k] = [parsed(vm), parsed(kernel)];
  if (v === undefined || k === undefined) {
    expect([what, dumpPlain(vm.stdout, new Ids())]).toEqual([what, dumpPlain(kernel.stdout, new Ids())]);
    return;
  }
  expect([what, dumpJson(v, new Ids(), type)]).toEqual([what, dumpJson(k, new Ids(), type)]);
}

/** The maps of an object as `map show object FILE` lists them (no load): name -> bpftool's type name. */
async function mapTypes(file: string): Promise<Map<string, string>> {
  // an array, or the one map's object, or nothing for an object without maps
  const maps = [parsed(await ours(["-j", "map", "show", "object", file])) ?? []].flat() as Json[];
  return new Map(maps.map((m) => [m.name as string, m.type as string]));
}

/** One command line with the kernel backend and with the VM: both runs, each normalised with its own ids. */
async function both(args: readonly string[]): Promise<{ kernel: Run; vm: Run }> {
  const kernel = await ours(args);
  const vm = await ours([...VM, ...args]);
  return { kernel, vm };
}

describeWith(["root", "vmlinux-btf"], "bpftool --backend vm vs the kernel", () => {
  const tmp = useTempDir("bpfkit-vm-cli-");

  it.each(FIXTURES)("prog show object %s: the kernel's fields, plain and -j", async (name) => {
    const file = fixturePath(name);
    const json = await both(["-j", "prog", "show", "object", file]);
    expect(json.vm.status).toBe(0);
    expect(progsJson(jsonOf(json.vm), new Ids())).toEqual(progsJson(jsonOf(json.kernel), new Ids()));
    // the VM's own: the instructions as loaded, not JITed, no memlock accounting; loaded now, by this user
    for (const p of [jsonOf(json.vm)].flat() as Json[]) {
      expect(p).toMatchObject({ jited: false, uid: process.getuid?.() });
      expect(p.bytes_memlock).toBeUndefined();
      expect(Math.abs(Number(p.loaded_at) - Date.now() / 1000)).toBeLessThan(60);
    }
    const plain = await both(["prog", "show", "object", file]);
    expect([plain.vm.status, plain.vm.stderr]).toEqual([0, ""]);
    expect(progsPlain(plain.vm.stdout, new Ids())).toBe(progsPlain(plain.kernel.stdout, new Ids()));
  });

  it.each(["sec_cgroup_skb_ingress", "sec_raw_tracepoint"])(
    "prog show object sections program %s: a name longer than the kernel keeps, from func_info and BTF",
    async (program) => {
      const args = ["prog", "show", "object", fixturePath("sections"), "program", program];
      const plain = await both(args);
      expect(plain.vm.stdout).toContain(`name ${program}  `);
      expect(progsPlain(plain.vm.stdout, new Ids())).toBe(progsPlain(plain.kernel.stdout, new Ids()));
      const json = await both(["-j", ...args]);
      expect(progsJson(jsonOf(json.vm), new Ids())).toEqual(progsJson(jsonOf(json.kernel), new Ids()));
    },
  );

  it("BpftoolVm keeps the kernel's func_info and line_info of a load (a program the verifier leaves alone)", () => {
    const spec = openObject(readFileSync(fixturePath("xdp_pass")), { path: fixturePath("xdp_pass") });
    const kernelBackend = new KernelBackend();
    const vmBackend = new BpftoolVm({});
    using kernel = loadCollection(spec, { backend: kernelBackend });
    using vm = loadCollection(spec, { backend: vmBackend });
    const [k, v] = [kernel.program("xdp_pass").fd, vm.program("xdp_pass").fd];
    const counts = (info: ProgInfo) => [info.nrFuncInfo, info.nrLineInfo, info.tag];
    expect(counts(vmBackend.progInfo(v))).toEqual(counts(kernelBackend.progInfo(k)));
    expect(vmBackend.progInfo(v).nrLineInfo).toBeGreaterThan(0);
    const records = (ext: ProgExtInfo) => [Array.from(ext.funcInfo.bytes), Array.from(ext.lineInfo.bytes)];
    expect(records(vmBackend.progExtInfo(v))).toEqual(records(kernelBackend.progExtInfo(k)));
    kernelBackend.close();
  });

  it("prog show: the xlated size is the instructions as loaded", async () => {
    const file = fixturePath("xdp_parse");
    const raw = join(tmp(), "xdp_parse.insns");
    // `prog dump xlated object FILE ... file F` writes the instructions BPF_PROG_LOAD receives (no load)
    expect((await ours(["prog", "dump", "xlated", "object", file, "program", "xdp_parse", "file", raw])).status).toBe(
      0,
    );
    const shown = jsonOf(await ours([...VM, "-j", "prog", "show", "object", file, "program", "xdp_parse"])) as Json;
    expect(shown.bytes_xlated).toBe(readFileSync(raw).length);
  });

  it.each(FIXTURES)("map dump object %s: every map, -j (and plain where no map holds ids)", async (name) => {
    const file = fixturePath(name);
    const json = await both(["-j", "map", "dump", "object", file]);
    expectSameDump(name, json.vm, json.kernel);
    const types = await mapTypes(file);
    if ([...types.values()].some((t) => idKind(t) !== undefined)) return;
    const plain = await both(["map", "dump", "object", file]);
    expect([plain.vm.status, plain.vm.stderr]).toEqual([plain.kernel.status, plain.kernel.stderr]);
    expect(dumpPlain(plain.vm.stdout, new Ids())).toBe(dumpPlain(plain.kernel.stdout, new Ids()));
  });

  it.each(["maps", "bpftool_maps", "tail_calls"])("map dump object %s map NAME: each map alone", async (name) => {
    const file = fixturePath(name);
    for (const [map, type] of await mapTypes(file)) {
      const args = ["map", "dump", "object", file, "map", map];
      const json = await both(["-j", ...args]);
      const what = `${name} ${map}`;
      expectSameDump(what, json.vm, json.kernel, type);
      if (idKind(type) !== undefined) continue;
      const plain = await both(args);
      expect([what, plain.vm]).toEqual([what, plain.kernel]);
    }
  });

  // Element commands print no ids: the same output and exit status, byte for byte (failures included).
  const XDP_PARSE = fixturePath("xdp_parse");
  const BPFTOOL_MAPS = fixturePath("bpftool_maps");
  /** `map VERB object FILE map NAME` and the rest, given as one line (a JSON value stays one argument). */
  const command = (verb: string, file: string, map: string, rest = "", json?: string) => [
    "map",
    verb,
    "object",
    file,
    "map",
    map,
    ...rest.split(" ").filter(Boolean),
    ...(json === undefined ? [] : ["value", "json", json]),
  ];
  const elementCommands: string[][] = [
    command("lookup", XDP_PARSE, "proto_count", "key 17 0 0 0"),
    command("lookup", XDP_PARSE, "xdp_pars.rodata", "key 0 0 0 0"),
    command("lookup", BPFTOOL_MAPS, "flows", "key 1 0 0 0"),
    command("lookup", BPFTOOL_MAPS, "pcpu_array", "key 1 0 0 0"),
    command("getnext", XDP_PARSE, "proto_count"),
    command("getnext", XDP_PARSE, "proto_count", "key 255 0 0 0"),
    command("getnext", BPFTOOL_MAPS, "flows"),
    command("update", XDP_PARSE, "proto_count", "key 1 0 0 0 value 1 0 0 0 0 0 0 0"),
    command("update", XDP_PARSE, "proto_count", "key 1 0 0 0 value 1 0 0 0 0 0 0 0 noexist"),
    command("update", XDP_PARSE, "xdp_pars.rodata", "key 0 0 0 0 value 1 0 0 0"),
    [...command("update", BPFTOOL_MAPS, "flows", "key 1 0 0 0", '{"packets": 7}'), "exist"],
    command("update", BPFTOOL_MAPS, "flows", "key 1 0 0 0", '{"packets": 7}'),
    command("delete", XDP_PARSE, "proto_count", "key 1 0 0 0"),
    command("delete", BPFTOOL_MAPS, "flows", "key 1 0 0 0"),
    command("freeze", XDP_PARSE, "proto_count"),
    command("freeze", XDP_PARSE, "xdp_pars.rodata"),
    command("pop", BPFTOOL_MAPS, "flows"),
    command("peek", BPFTOOL_MAPS, "queue"),
    command("push", BPFTOOL_MAPS, "queue", "value 1 0 0 0"),
    command("enqueue", BPFTOOL_MAPS, "stack", "value 1 0 0 0 0 0 0 0"),
    command("pop", BPFTOOL_MAPS, "stack"),
    command("dequeue", BPFTOOL_MAPS, "queue"),
  ];
  it("map lookup|getnext|update|delete|freeze|peek|push|enqueue|pop|dequeue: the kernel's output and status", async () => {
    for (const args of elementCommands) {
      for (const json of [[], ["-j"]]) {
        const { kernel, vm } = await both([...json, ...args]);
        const what = [...json, ...args.slice(0, 2), ...args.slice(4)].join(" ");
        expect([what, vm]).toEqual([what, kernel]);
      }
    }
  });

  it("prog dump xlated object FILE [linum|opcodes|file] and btf dump, map show (read from the file): the same", async () => {
    const out = join(tmp(), "insns");
    const lines = [
      ["prog", "dump", "xlated", "object", XDP_PARSE, "linum"],
      ["-j", "prog", "dump", "xlated", "object", XDP_PARSE, "opcodes"],
      ["prog", "dump", "xlated", "object", XDP_PARSE, "program", "xdp_parse", "file", out],
      ["btf", "dump", "prog", "object", XDP_PARSE, "program", "xdp_parse"],
      ["-j", "btf", "dump", "map", "object", XDP_PARSE, "map", "proto_count", "value"],
      ["map", "show", "object", BPFTOOL_MAPS],
    ];
    for (const args of lines) {
      const { kernel, vm } = await both(args);
      expect([args.join(" "), vm]).toEqual([args.join(" "), kernel]);
    }
  });

  it("prog dump xlated ... visual: the graph of the program as loaded (the kernel's where it rewrites nothing)", async () => {
    const pass = await both(["prog", "dump", "xlated", "object", fixturePath("xdp_pass"), "visual"]);
    expect(pass.vm).toEqual(pass.kernel);
    const json = await both(["-j", "prog", "dump", "xlated", "object", fixturePath("xdp_pass"), "visual"]);
    expect(json.vm).toEqual(json.kernel);
    // xdp_parse: its subprogram call, its map references by id, helpers by name and id
    const parse = await ours([...VM, "prog", "dump", "xlated", "object", XDP_PARSE, "program", "xdp_parse", "visual"]);
    expect(parse.status).toBe(0);
    expect(parse.stdout).toContain('subgraph "cluster_1"');
    expect(parse.stdout).toContain("2: (85) call pc+28\\l");
    expect(parse.stdout).toMatch(/\(18\) r1 = map\[id:\d+\]\\l/);
    expect(parse.stdout).toContain("(85) call bpf_map_lookup_elem#1\\l");
  });

  it("prog run object FILE: the kernel's result", async () => {
    const packet = join(tmp(), "packet");
    writeFileSync(packet, ipv4Packet(17));
    const args = ["-j", "prog", "run", "object", XDP_PARSE, "program", "xdp_parse", "data_in", packet, "repeat", "2"];
    const { kernel, vm } = await both(args);
    const result = (run: Run) => ({ ...(jsonOf(run) as Json), duration: 0 });
    expect(result(vm)).toEqual(result(kernel));
  });

  it("VmBackend's own tag (rebuilt from its rewritten instructions) is the kernel's", () => {
    for (const name of FIXTURES) {
      // nothing pinned by name: the kernel's maps go with the collection
      const spec = openObject(readFileSync(fixturePath(name)), { path: fixturePath(name) });
      const unpinned = { ...spec, maps: spec.maps.map((m) => ({ ...m, pinning: "none" as const })) };
      using kernel = loadCollection(unpinned);
      using vm = loadCollection(unpinned, { backend: new VmBackend() });
      for (const [prog, handle] of kernel.programs) {
        expect([name, prog, vm.program(prog).info().tag]).toEqual([name, prog, handle.info().tag]);
      }
    }
  });
});

describeWith(["vmlinux-btf"], "bpftool --backend vm without the kernel", () => {
  const tmp = useTempDir("bpfkit-vm-cli-user-");

  /** VM command lines that succeed. */
  const VM_COMMANDS: string[][] = [
    ["prog", "show", "object", fixturePath("xdp_parse")],
    ["-j", "prog", "show", "object", fixturePath("globals"), "program", "globals_socket"],
    ["prog", "dump", "xlated", "object", fixturePath("subprogs"), "program", "tc_first", "visual"],
    ["map", "dump", "object", fixturePath("xdp_parse")],
    ["-j", "map", "dump", "object", fixturePath("maps"), "map", "percpu_stats"],
    ["map", "lookup", "object", fixturePath("xdp_parse"), "map", "proto_count", "key", "6", "0", "0", "0"],
    ["map", "getnext", "object", fixturePath("maps"), "map", "outer"],
    [
      "map",
      "update",
      "object",
      fixturePath("globals"),
      "map",
      "globals.bss",
      "key",
      "0",
      "0",
      "0",
      "0",
      "value",
      ...Array(40).fill("0"),
    ],
    ["map", "freeze", "object", fixturePath("xdp_parse"), "map", "proto_count"],
  ];

  it("never reaches bpf(2) nor creates a KernelBackend", async () => {
    const calls = bpfCallCount();
    kernelBackends.counting = true;
    try {
      for (const args of VM_COMMANDS) {
        const run = await ours([...VM, ...args]);
        expect([args.join(" "), run.status, run.stderr]).toEqual([args.join(" "), 0, ""]);
      }
    } finally {
      kernelBackends.counting = false;
    }
    expect(kernelBackends.created).toBe(0);
    expect(bpfCallCount()).toBe(calls);
  });

  it("refuses in one line what names kernel objects or needs the kernel", async () => {
    const file = fixturePath("xdp_pass");
    const maps = fixturePath("xdp_parse");
    const refusals: [string[], RegExp][] = [
      [["prog", "show", "id", "1"], /'id' names kernel programs/],
      [["prog", "dump", "xlated", "tag", "0102030405060708"], /'tag' names kernel programs/],
      [["prog", "run", "name", "xdp_pass", "data_in", file], /'name' names kernel programs/],
      [["prog", "show", "pinned", "/sys/fs/bpf/x"], /'pinned' names kernel programs/],
      [["map", "dump", "id", "1"], /'id' names kernel maps/],
      [["map", "lookup", "name", "proto_count", "key", "0", "0", "0", "0"], /'name' names kernel maps/],
      [["map", "show", "pinned", "/sys/fs/bpf/x"], /'pinned' names kernel maps/],
      [["prog", "show"], /has no kernel programs to list/],
      [["map", "list"], /has no kernel maps to list/],
      [["prog", "dump", "jited", "object", file], /does not JIT programs/],
      [["prog", "pin", "object", file, join(tmp(), "p")], /cannot pin/],
      [["map", "pin", "object", maps, "map", "proto_count", join(tmp(), "m")], /cannot pin/],
      [["prog", "attach", "object", file, "flow_dissector"], /cannot attach programs/],
      [["net", "attach", "xdp", "object", file, "dev", "lo"], /cannot attach programs/],
      [["cgroup", "attach", "/sys/fs/cgroup", "ingress", "object", file], /cannot attach programs/],
      [["iter", "pin", file, join(tmp(), "i")], /cannot attach programs/],
      [["prog", "load", file, join(tmp(), "l")], /cannot load programs to pin them/],
      [
        ["map", "create", join(tmp(), "c"), "type", "hash", "key", "4", "value", "4", "entries", "1", "name", "c"],
        /cannot create pinned maps/,
      ],
      [["map", "event_pipe", "object", maps, "map", "proto_count"], /has no event pipe/],
      [["btf", "list"], /this command needs the kernel/],
      [["link", "show"], /this command needs the kernel/],
    ];
    const calls = bpfCallCount();
    for (const [args, message] of refusals) {
      const run = await ours([...VM, ...args]);
      expect([args.join(" "), run.status, run.stdout]).toEqual([args.join(" "), 255, ""]);
      expect(run.stderr).toMatch(/^Error: backend 'vm' [^\n]+\n$/);
      expect(run.stderr).toMatch(message);
    }
    expect(bpfCallCount()).toBe(calls);
  });

  itWith(["root"], "works for user nobody: the root run's output, the loading uid aside", async () => {
    for (const args of VM_COMMANDS) {
      const r = spawnSync(
        "setpriv",
        ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", BPFTOOL_BIN, ...VM, ...args],
        { encoding: "utf8" },
      );
      const asRoot = await ours([...VM, ...args]);
      const shown = (text: string) => text.replace(/loaded_at \S+ {2}uid \d+|"loaded_at":\d+,"uid":\d+/g, "LOADED");
      expect([args.join(" "), r.status, r.stderr, shown(r.stdout)]).toEqual([
        args.join(" "),
        0,
        "",
        shown(asRoot.stdout),
      ]);
      if (args.includes("show")) expect(r.stdout).toMatch(/uid 65534|"uid":65534/);
    }
  });
});

describe("bpftool --backend vm: kernel facts from BTF", () => {
  itWith(["root", "vmlinux-btf"], "agree with what the kernel answers when asked", async () => {
    const { mapInfoKeepsCallerFields } = await import("@bpfkit/kernel");
    const facts = await import("../packages/bpftool/src/cli/kernel-facts.js");
    expect(facts.mapInfoKeepsCallerFieldsByBtf()).toBe(mapInfoKeepsCallerFields());
    // the tag hash: the kernel's tag of a program is the hash of its instructions as loaded
    const shown = jsonOf(await ours(["-j", "prog", "show", "object", fixturePath("xdp_pass")])) as Json;
    const vm = jsonOf(await ours([...VM, "-j", "prog", "show", "object", fixturePath("xdp_pass")])) as Json;
    expect(facts.tagHash()).toMatch(/^sha(1|256)$/);
    expect(vm.tag).toBe(shown.tag);
  });
});
