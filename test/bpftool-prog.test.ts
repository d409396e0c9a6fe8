// `bpftool prog show|list` and `prog dump xlated|jited` against the real bpftool 7.1.0, on programs the real
// bpftool loaded: identical stdout, stderr and exit status in plain text, -j and -p, for PROG given by id, pinned
// path, name and tag; -f pins; metadata and full names; xlated dumps with opcodes, linum and visual; errors.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { oursClean, same, theirsOk } from "./bpftool-oracle-support.js";
import { compile, fixture, type ProgJson, progAt } from "./bpftool-prog-support.js";
import { jsonOf, ours, type Run, theirs } from "./support/bpftool.js";
import { describeWith, usePinRoot } from "./support/env.js";

describeWith(["root", "bpftool", "bpffs", "clang"], "bpftool prog show/dump against bpftool 7.1.0", () => {
  const root = `/sys/fs/bpf/bpfkit-prog-${process.pid}`;
  let work = "";
  /** Pinned program paths, by name (each loaded once, except xdp_parse: twice, for `name` matching two). */
  const pins: Record<string, string> = {};
  const progs: Record<string, ProgJson> = {};
  const pinRoot = usePinRoot();

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "bpfkit-prog-"));
    mkdirSync(root);
    const objects: [string, string][] = [
      ["xdp_parse", fixture("xdp_parse")],
      ["xdp_parse2", fixture("xdp_parse")],
      ["globals", fixture("globals")],
      ["subprogs", fixture("subprogs")],
      ["meta", compile(work, "meta")],
      ["quotes", compile(work, "quotes")],
    ];
    for (const [dir, path] of objects) theirsOk(["prog", "loadall", path, `${root}/${dir}`]);
    for (const [name, path] of [
      ["xdp_parse", `${root}/xdp_parse/xdp_parse`],
      ["xdp_parse2", `${root}/xdp_parse2/xdp_parse`],
      ["tc_count", `${root}/xdp_parse/tc_count`],
      ["globals_socket", `${root}/globals/globals_socket`],
      ["socket_sum", `${root}/subprogs/socket_sum`],
      ["tc_first", `${root}/subprogs/tc_first`],
      ["raw_tp_count", `${root}/subprogs/raw_tp_count`],
      ["long", `${root}/meta/this_is_a_very_long_program_name`],
      ["quotes", `${root}/quotes/quotes`],
    ] as const) {
      pins[name] = path;
      progs[name] = progAt(path);
    }
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const id = (name: string) => String(progs[name]?.id);

  it("shows one program by id, pinned path, name and tag: plain, -j and -p", async () => {
    for (const name of ["xdp_parse", "tc_count", "globals_socket", "raw_tp_count", "long", "quotes"]) {
      for (const mode of [[], ["-j"], ["-p"]]) {
        await same([...mode, "prog", "show", "id", id(name)]);
        await same([...mode, "prog", "show", "pinned", pins[name] as string]);
        await same([...mode, "prog", "list", "tag", progs[name]?.tag as string]);
      }
    }
    // prefixes, as bpftool's is_prefix takes them
    await same(["-j", "p", "s", "i", id("tc_count")]);
    await same(["prog", "l", "p", pins.socket_sum as string]);
  });

  it("wraps several matches of a name or tag in an array (JSON) and lists them (plain)", async () => {
    const a = await same(["-j", "prog", "show", "name", "xdp_parse"]);
    const list = jsonOf(a) as ProgJson[];
    expect(Array.isArray(list)).toBe(true);
    expect(list.map((p) => p.id)).toEqual(expect.arrayContaining([progs.xdp_parse?.id, progs.xdp_parse2?.id]));
    await same(["-p", "prog", "show", "tag", progs.xdp_parse?.tag as string]);
    await same(["prog", "show", "name", "xdp_parse"]);
  });

  it("prints the full BTF name of a program whose kernel name is cut at 15 bytes, and its metadata", async () => {
    await same(["-j", "prog", "show", "name", "this_is_a_very_long_program_name"]);
    const run = await same(["-j", "prog", "show", "pinned", pins.long as string]);
    expect(jsonOf(run)).toMatchObject({
      name: "this_is_a_very_long_program_name",
      metadata: { owner: "bpfkit", version: 3 },
    });
    const plain = await same(["prog", "show", "pinned", pins.long as string]);
    expect(plain.stdout).toContain('\tmetadata:\n\t\towner = "bpfkit"\n\t\tversion = 3\n');
    // the kernel's 15 bytes do not name it
    await same(["prog", "show", "name", "this_is_a_very_"]);
  });

  it("lists every program like bpftool (compared on this suite's programs: other files load their own)", async () => {
    const mine = new Set(Object.values(progs).map((p) => p.id));
    const pick = (list: ProgJson[]) => list.filter((p) => mine.has(p.id));
    const a = pick(jsonOf(await ours(["-j", "prog", "show"])) as ProgJson[]);
    const b = pick(jsonOf(theirs(["-j", "prog", "list"])) as ProgJson[]);
    expect(a).toEqual(b);
    expect(a).toHaveLength(mine.size);
    // plain text: the block of each of ours, byte for byte
    const blocks = (text: string) =>
      text.split(/\n(?=\d+: )/).filter((block) => mine.has(Number(block.slice(0, block.indexOf(":")))));
    expect(blocks((await ours(["prog", "show"])).stdout)).toEqual(blocks(theirs(["prog", "show"]).stdout));
  });

  it("shows pins with -f, in bpftool's order for a program pinned several times", async () => {
    const dir = pinRoot();
    theirsOk(["prog", "pin", "id", id("tc_first"), `${dir}/a`]);
    theirsOk(["prog", "pin", "id", id("tc_first"), `${dir}/b`]);
    mkdirSync(`${dir}/sub`);
    theirsOk(["prog", "pin", "id", id("tc_first"), `${dir}/sub/c`]);
    const pinned = (run: Run) => (jsonOf(run) as { pinned: string[] }).pinned;
    // The order depends on every pin on the machine (bpftool's hash table); other test files pin and unpin
    // concurrently, so compare when our two runs around bpftool's agree (the machine's pins did not change).
    for (let attempt = 0; ; attempt++) {
      const before = await ours(["-j", "-f", "prog", "show", "id", id("tc_first")]);
      const b = theirs(["-j", "-f", "prog", "show", "id", id("tc_first")]);
      const after = await ours(["-j", "-f", "prog", "show", "id", id("tc_first")]);
      if (before.stdout !== after.stdout && attempt < 5) continue;
      expect(before).toEqual(b);
      expect(new Set(pinned(before))).toEqual(new Set([pins.tc_first, `${dir}/a`, `${dir}/b`, `${dir}/sub/c`]));
      break;
    }
    for (let attempt = 0; ; attempt++) {
      const before = await ours(["-f", "prog", "show", "pinned", `${dir}/sub/c`]);
      const b = theirs(["-f", "prog", "show", "pinned", `${dir}/sub/c`]);
      const after = await ours(["-f", "prog", "show", "pinned", `${dir}/sub/c`]);
      if (before.stdout !== after.stdout && attempt < 5) continue;
      expect(before).toEqual(b);
      expect(before.stdout).toContain(`\tpinned ${dir}/sub/c\n`);
      break;
    }
  });

  it("dumps xlated instructions like bpftool: plain, -j, -p, opcodes, linum, visual", async () => {
    for (const name of ["xdp_parse", "tc_count", "globals_socket", "socket_sum", "tc_first", "raw_tp_count"]) {
      for (const extra of [[], ["opcodes"], ["linum"]]) {
        await same(["prog", "dump", "xlated", "id", id(name), ...extra]);
        await same(["-j", "prog", "dump", "xlated", "id", id(name), ...extra]);
      }
      await same(["prog", "dump", "xlated", "pinned", pins[name] as string, "visual"]);
      await same(["-j", "prog", "dump", "xlated", "pinned", pins[name] as string, "visual"]);
    }
    await same(["-p", "prog", "dump", "xlated", "id", id("long"), "linum"]);
    await same(["p", "d", "x", "i", id("socket_sum"), "o"]);
    // several programs: a header each (plain) or objects with "insns" (JSON)
    await same(["prog", "dump", "xlated", "name", "xdp_parse"]);
    await same(["-j", "prog", "dump", "xlated", "name", "xdp_parse", "linum"]);
  });

  it("writes the source lines' quotes and backslashes as bpftool 7.1.0 writes them", async () => {
    const run = await same(["-j", "prog", "dump", "xlated", "pinned", pins.quotes as string]);
    // a backslash comes out as \n, a single quote as is (Debian's 7.1.0 json_writer)
    expect(run.stdout).toContain(String.raw`char c = '\n\n';`);
    expect(run.stdout).toContain(`d == 'x'`);
    await same(["prog", "dump", "xlated", "pinned", pins.quotes as string, "linum"]);
  });

  it("writes the raw xlated instructions to a file, as bpftool does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfkit-prog-dump-"));
    try {
      const a = await same(["-j", "prog", "dump", "xlated", "id", id("socket_sum"), "file", `${dir}/ours.bin`]);
      expect(a.stdout).toBe("null\n");
      theirsOk(["prog", "dump", "xlated", "id", id("socket_sum"), "file", `${dir}/theirs.bin`]);
      const bytes = readFileSync(`${dir}/ours.bin`);
      expect(bytes.equals(readFileSync(`${dir}/theirs.bin`))).toBe(true);
      expect(bytes.length).toBe(progs.socket_sum?.bytes_xlated);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("dumps JITed code as bytes, per function under its prototype and symbol (no disassembler)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfkit-prog-jited-"));
    try {
      // bpftool 7.1.0 as Debian builds it has no disassembler at all
      expect(theirs(["prog", "dump", "jited", "id", id("socket_sum")]).stderr).toBe("Error: No libbfd support\n");
      await oursClean(["prog", "dump", "jited", "id", id("socket_sum"), "file", `${dir}/jited.bin`]);
      const code = readFileSync(`${dir}/jited.bin`);
      expect(code.length).toBe(progs.socket_sum?.bytes_jited);
      const plain = await oursClean(["prog", "dump", "jited", "id", id("socket_sum")]);
      expect(plain.status).toBe(0);
      const hex = plain.stdout
        .split("\n")
        .filter((l) => /^ *[0-9a-f]+:\t/.test(l))
        .flatMap((l) => (l.split("\t")[1] as string).split(" "));
      expect(Buffer.from(hex.join(""), "hex").equals(code)).toBe(true);
      // socket_sum calls a subprogram: two functions, each with its BTF prototype and kernel symbol
      expect(plain.stdout).toMatch(/^int socket_sum\(struct __sk_buff \* skb\):\nbpf_prog_[0-9a-f]{16}_socket_sum:\n/);
      const json = jsonOf(await oursClean(["-j", "prog", "dump", "jited", "id", id("socket_sum")])) as {
        name: string;
        insns: { pc: string; opcodes: string[] }[];
      }[];
      expect(json.length).toBeGreaterThanOrEqual(2);
      const bytes = json.flatMap((f) => f.insns.flatMap((i) => i.opcodes.map((b) => Number(b))));
      expect(Buffer.from(bytes).equals(code)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails like bpftool on missing ids, bad tags, wrong or missing pins and bad words", async () => {
    const dir = pinRoot();
    writeFileSync(`${work}/not-bpf`, "hello\n");
    const maps = JSON.parse(theirsOk(["-j", "prog", "show", "id", id("xdp_parse")]).stdout).map_ids as number[];
    theirsOk(["map", "pin", "id", String(maps[0]), `${dir}/a_map`]);
    for (const mode of [[], ["-j"]]) {
      await same([...mode, "prog", "show", "id", "4294967295"]);
      await same([...mode, "prog", "show", "id", "12x"]);
      await same([...mode, "prog", "show", "id", ""]);
      await same([...mode, "prog", "show", "tag", "zz"]);
      await same([...mode, "prog", "show", "tag", "0011"]);
      await same([...mode, "prog", "show", "name", "no_such_program"]);
      await same([...mode, "prog", "show", "name", "x".repeat(200)]);
      await same([...mode, "prog", "show", "pinned", `${dir}/missing`]);
      await same([...mode, "prog", "show", "pinned", `${dir}/a_map`]);
      await same([...mode, "prog", "show", "pinned", `${work}/not-bpf`]);
      await same([...mode, "prog", "show", "pinned", "/tmp"]);
      await same([...mode, "prog", "show", "bogus", "1"]);
      await same([...mode, "prog", "show", "id"]);
      await same([...mode, "prog", "show", "id", "1", "extra"]);
      await same([...mode, "prog", "dump", "xlated", "id"]);
      await same([...mode, "prog", "dump", "nothing", "id", "1"]);
      await same([...mode, "prog", "dump", "xlated", "id", "4294967295"]);
      await same([...mode, "prog", "dump", "xlated", "name", "xdp_parse", "file", `${work}/x.bin`]);
      await same([...mode, "prog", "dump", "xlated", "name", "xdp_parse", "visual"]);
      await same([...mode, "prog", "dump", "xlated", "id", id("tc_count"), "file"]);
      await same([...mode, "prog", "dump", "xlated", "id", id("tc_count"), "opcodes", "extra"]);
      await same([...mode, "prog", "dump", "xlated", "id", id("tc_count"), "file", `${work}/no/such/dir/x`]);
      await same([...mode, "prog", "bogus"]);
      await same([...mode, "prog", "help"]);
      await same([...mode, "prog", "profile", "id", id("tc_count"), "cycles"]);
    }
  });
});
