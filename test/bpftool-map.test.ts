// `bpftool map show|list|dump|lookup|getnext|peek` against the real bpftool 7.1.0, on the maps of
// test/fixtures/bpftool_maps.bpf.o (loaded and filled by bpftool): identical stdout, stderr and exit status in
// plain text, -j and -p, for every map type the fixture has, with and without BTF.
import { mkdirSync, rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bytes, loadMapsFixture, MAPS_FIXTURE, pattern, theirsBatch, u32 } from "./bpftool-map-support.js";
import { same } from "./bpftool-oracle-support.js";
import { jsonOf, ours, theirs } from "./support/bpftool.js";
import { describeWith } from "./support/env.js";
import { openFds } from "./support/failures.js";

/** The fixture's map pins, by map name. */
const MAPS = [
  "flows",
  "by_tuple",
  "counters",
  "pcpu_hash",
  "pcpu_array",
  "floats",
  "big",
  "queue",
  "stack",
  "ring",
  "perf",
  "inner_a",
  "outer",
  "jumps",
  "bpftool__data",
  "bpftool__bss",
  "bpftool__rodata",
] as const;

const le = (value: bigint, size: number) =>
  Array.from({ length: size }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));

/** A struct flow_value whose every field bpftool formats readably (offsets from the fixture's BTF). */
function readableFlow(): number[] {
  const v = new Array<number>(112).fill(0);
  const put = (at: number, values: number[]) => {
    for (const [i, b] of values.entries()) v[at + i] = b;
  };
  put(0, le(100n, 8)); // packets
  put(8, le(-5n & 0xffffffffn, 4)); // delta
  put(12, le(0xfffen, 2)); // small = -2
  put(14, [200, 0xfd]); // byte, sbyte = -3
  put(16, [...Buffer.from("hello")]); // comm
  put(32, [1, 2, 3, 4]); // raw
  put(36, [1]); // active
  put(40, le(7n, 4)); // color = BLUE
  const bits = 5 | (17 << 3) | (0x123 << 8) | (1 << 20) | (0xe << 21);
  put(44, le(BigInt(bits >>> 0), 4)); // kind, prio, level, sign, neg
  put(48, le(0x100000000n, 8)); // big = BIG_LARGE
  put(64, le((1n << 64n) + 5n, 16)); // wide
  put(80, [1, 2, 3, 4]); // u
  put(84, [1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0]); // matrix
  put(96, [9, 0, 0, 0, 0x61, 0x62, 0, 0]); // nested
  return v;
}

describeWith(["root", "bpftool", "bpffs"], "bpftool map show/dump/lookup against bpftool 7.1.0", () => {
  const root = `/sys/fs/bpf/bpfkit-map-${process.pid}`;
  const pin = (name: string) => `${root}/maps/${name}`;
  const mapId = (name: string) => (jsonOf(theirs(["-j", "map", "show", "pinned", pin(name)])) as { id: number }).id;

  beforeAll(() => {
    mkdirSync(root);
    loadMapsFixture(root);
    const update = (map: string, key: string[], value: string[]) =>
      `map update pinned ${pin(map)}${key.length ? ` key ${key.join(" ")}` : ""} value ${value.join(" ")}`;
    const lines: string[] = [];
    for (let k = 1; k <= 5; k++) lines.push(update("flows", u32(k * 1000 + k), bytes(pattern(112, k * 11))));
    lines.push(update("flows", u32(77), bytes(readableFlow())));
    lines.push(
      update(
        "by_tuple",
        ["hex", "0a", "00", "00", "01", "0a", "00", "00", "02", "00", "50", "1f", "90", "06", "00", "00", "00"],
        bytes(le(7n, 8)),
      ),
    );
    lines.push(update("counters", u32(2), bytes(le(0x0100000000000009n, 8))));
    lines.push(update("pcpu_hash", u32(1), u32(5)));
    lines.push(update("pcpu_hash", u32(300), u32(0xdeadbeef)));
    lines.push(update("pcpu_array", u32(1), bytes([1, 2, 3, 4, 0, 0, 0x80, 0x3f])));
    lines.push(update("floats", u32(1), bytes([5, 0, 0, 0, 0, 0, 0, 0x3f])));
    lines.push(update("inner_a", u32(0), u32(42)));
    lines.push(update("bpftool__bss", u32(0), bytes(le(123456789n, 8))));
    lines.push(`map push pinned ${pin("queue")} value ${u32(0x01020304).join(" ")}`);
    lines.push(`map push pinned ${pin("queue")} value ${u32(5).join(" ")}`);
    lines.push(`map push pinned ${pin("stack")} value ${bytes(le(99n, 8)).join(" ")}`);
    lines.push(`map update pinned ${pin("jumps")} key ${u32(0).join(" ")} value pinned ${root}/x/target`);
    // the benchmark case: a 10,000-entry hash map with BTF struct values
    for (let k = 0; k < 10_000; k++) lines.push(update("big", u32(k * 7919 + 13), bytes(pattern(112, k))));
    theirsBatch(lines);
  }, 120_000);

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("shows each map as bpftool does: plain, -j, -p, by id and by pin", async () => {
    for (const name of MAPS) {
      for (const mode of [[], ["-j"], ["-p"]]) await same([...mode, "map", "show", "pinned", pin(name)]);
      await same(["map", "list", "id", String(mapId(name))]);
    }
  });

  it("shows owner_prog_type/owner_jited for prog arrays, frozen for .rodata, btf_id", async () => {
    const jumps = jsonOf(await same(["-j", "map", "show", "pinned", pin("jumps")]));
    expect(jumps).toMatchObject({ type: "prog_array", owner_prog_type: "socket_filter", owner_jited: true });
    const rodata = jsonOf(await same(["-j", "map", "show", "pinned", pin("bpftool__rodata")]));
    expect(rodata).toMatchObject({ type: "array", frozen: 1, flags: 0x480 });
    expect((rodata as { btf_id: number }).btf_id).toBeGreaterThan(0);
    expect((await same(["map", "show", "pinned", pin("bpftool__rodata")])).stdout).toMatch(/\tbtf_id \d+ {2}frozen\n$/);
  });

  it("lists where a map is pinned with -f", async () => {
    for (const mode of [[], ["-j"], ["-p"]]) await same(["-f", ...mode, "map", "show", "pinned", pin("flows")]);
    const shown = jsonOf(await ours(["-f", "-j", "map", "show", "pinned", pin("counters")]));
    expect(shown).toMatchObject({ pinned: [pin("counters")] });
  });

  it("lists every map as bpftool does (including its reuse of one info struct across maps)", async () => {
    // Other test files create and free maps meanwhile: compare runs that saw the same set of maps.
    for (const mode of [[], ["-j"]]) {
      let last: unknown;
      for (let attempt = 0; attempt < 5; attempt++) {
        const [a, b] = [await ours([...mode, "map", "show"]), theirs([...mode, "map", "show"])];
        last = { ours: a, theirs: b };
        if (a.stdout === b.stdout && a.status === b.status && a.stderr === b.stderr) {
          last = undefined;
          break;
        }
      }
      expect(last).toBeUndefined();
    }
  });

  it("dumps every map type identically: JSON with formatted BTF values, plain text, the BTF plain form", async () => {
    for (const name of MAPS) {
      if (name === "big") continue;
      for (const mode of [[], ["-j"], ["-p"]]) await same([...mode, "map", "dump", "pinned", pin(name)]);
    }
  });

  it("dumps the maps without get_next_key as bpftool: [] and its exit status, no message", async () => {
    const queue = await same(["-j", "map", "dump", "pinned", pin("queue")]);
    expect({ out: queue.stdout, status: queue.status }).toEqual({ out: "[]\n", status: 234 });
    const ring = await same(["map", "dump", "pinned", pin("ring")]);
    expect({ out: ring.stdout, status: ring.status }).toEqual({ out: "Found 0 elements\n", status: 244 });
  });

  it("formats struct values as bpftool 7.1.0 does, quirks included", async () => {
    const run = await same(["-j", "map", "lookup", "pinned", pin("flows"), "key", ...u32(77)]);
    const formatted = (jsonOf(run) as { formatted: { key: number; value: Record<string, unknown> } }).formatted;
    expect(formatted.key).toBe(77);
    expect(formatted.value).toMatchObject({
      packets: 100,
      delta: -5,
      small: -2,
      byte: 200,
      sbyte: -3,
      comm: "hello",
      raw: [1, 2, 3, 4],
      active: true,
      color: "BLUE",
      kind: "0x5",
      prio: "0x11",
      level: "0x123",
      sign: "0x1",
      neg: "0xe",
      big: "BIG_LARGE",
      wide: "0x10000000000000005",
      u: { as_int: 0x04030201, as_bytes: [1, 2, 3, 4] },
      matrix: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      nested: { inner_a: 9, inner_name: "ab" },
      ptr: 0,
    });
    // a float stops the value: bpftool 7.1 prints "(unsupported-kind" (not JSON), and so do we
    const floats = await same(["-j", "map", "dump", "pinned", pin("floats")]);
    expect(floats.stdout).toContain('"ratio":(unsupported-kind}');
  });

  it("dumps a 10,000-entry hash map with BTF identically (batched reads, same order)", async () => {
    for (const mode of [[], ["-j"]]) {
      const args = [...mode, "map", "dump", "pinned", pin("big")];
      const start = performance.now();
      const a = await ours(args);
      const took = performance.now() - start;
      const b = theirs(args);
      expect(a.status).toBe(0);
      expect(a.stdout === b.stdout, `map dump ${mode.join(" ")} of big differs`).toBe(true);
      expect(a.stderr).toBe(b.stderr);
      if (mode.length) expect((jsonOf(a) as unknown[]).length).toBe(10_000);
      expect(took).toBeLessThan(10_000);
    }
  }, 60_000);

  it("looks up, peeks and walks keys as bpftool does", async () => {
    for (const mode of [[], ["-j"], ["-p"]]) {
      await same([...mode, "map", "lookup", "pinned", pin("flows"), "key", ...u32(1001)]);
      await same([
        ...mode,
        "map",
        "lookup",
        "pinned",
        pin("by_tuple"),
        "key",
        "hex",
        "0a",
        "00",
        "00",
        "01",
        "0a",
        "00",
        "00",
        "02",
        "00",
        "50",
        "1f",
        "90",
        "06",
        "00",
        "00",
        "00",
      ]);
      await same([...mode, "map", "lookup", "pinned", pin("pcpu_hash"), "key", ...u32(300)]);
      await same([...mode, "map", "lookup", "pinned", pin("pcpu_array"), "key", ...u32(1)]);
      await same([...mode, "map", "lookup", "pinned", pin("outer"), "key", ...u32(1)]);
      await same([...mode, "map", "lookup", "pinned", pin("jumps"), "key", ...u32(0)]);
      await same([...mode, "map", "lookup", "pinned", pin("bpftool__rodata"), "key", ...u32(0)]);
      await same([...mode, "map", "peek", "pinned", pin("queue")]);
      await same([...mode, "map", "peek", "pinned", pin("stack")]);
      await same([...mode, "map", "getnext", "pinned", pin("flows")]);
      await same([...mode, "map", "getnext", "pinned", pin("counters"), "key", ...u32(1)]);
    }
  });

  it("fails lookups as bpftool does: a miss is null / Not found and exit 254", async () => {
    const miss = await same(["-j", "map", "lookup", "pinned", pin("flows"), "key", ...u32(4)]);
    expect({ out: miss.stdout, status: miss.status }).toEqual({ out: "null\n", status: 254 });
    await same(["map", "lookup", "pinned", pin("flows"), "key", ...u32(4)]);
    await same(["map", "lookup", "pinned", pin("counters"), "key", ...u32(9)]); // E2BIG? no: ENOENT past the end
    await same(["map", "lookup", "pinned", pin("ring")]);
    await same(["map", "lookup", "pinned", pin("perf"), "key", ...u32(0)]);
    await same(["-j", "map", "getnext", "pinned", pin("queue")]);
    await same(["map", "getnext", "pinned", pin("counters"), "key", ...u32(3)]);
  });

  it("reports bad keys, handles and arguments with bpftool's messages and statuses", async () => {
    const flows = pin("flows");
    for (const mode of [[], ["-j"]]) {
      for (const args of [
        ["lookup", "pinned", flows, "key", "1", "0", "0"],
        ["lookup", "pinned", flows, "key", "1", "0", "0", "zz"],
        ["lookup", "pinned", flows, "key", "hex", "1", "0", "0", "0x"],
        ["lookup", "pinned", flows, "key", "1", "0", "0", "0", "1"],
        ["lookup", "pinned", flows],
        ["lookup", "pinned", flows, "value", "1"],
        ["lookup", "pinned", flows, "key", "1", "0", "0", "0", "any"],
        ["lookup", "pinned", `${root}/nope`, "key", "1", "0", "0", "0"],
        ["lookup", "pinned", `${root}/x/target`, "key", "1", "0", "0", "0"],
        ["lookup", "pinned", "/tmp", "key", "1"],
        ["lookup", "id", "4294967295", "key", "1"],
        ["lookup", "id", "abc", "key", "1"],
        ["lookup", "foo", "3"],
        ["lookup", "pinned"],
        ["lookup"],
        ["dump", "id"],
        ["dump", "pinned", flows, "extra"],
        ["show", "id"],
        ["show", "pinned", flows, "extra"],
        ["show", "name", "0123456789abcdefg"],
        ["show", "name", "bpfkit_nomatch"],
        ["dump", "name", "bpfkit_nomatch"],
        ["getnext", "pinned", flows, "key", "1"],
        ["freeze", "pinned"],
        ["freeze", "pinned", flows, "extra"],
        ["event_pipe", "pinned", flows],
        ["event_pipe", "pinned", pin("perf"), "cpu", "0"],
        ["event_pipe", "pinned", pin("perf"), "cpu", "x", "index", "0"],
        ["bogus"],
        ["help"],
      ])
        await same([...mode, "map", ...args]);
    }
  });

  it("accepts command and keyword prefixes as bpftool does", async () => {
    await same(["map", "d", "p", pin("counters")]);
    await same(["m", "l", "p", pin("counters"), "k", ...u32(2)]);
    await same(["-j", "map", "lookup", "i", String(mapId("counters")), "key", "h", "2", "0", "0", "0"]);
  });

  it("opens nothing it does not close, even on errors", async () => {
    const before = openFds();
    await ours(["map", "dump", "pinned", pin("big")]);
    await ours(["map", "lookup", "pinned", pin("flows"), "key", "1"]);
    await ours(["map", "update", "pinned", pin("outer"), "key", ...u32(0), "value", "pinned", pin("flows"), "exist"]);
    await ours(["map", "show", "name", "flows"]);
    expect(openFds()).toBe(before);
  });

  it("names the maps of an object file with `object FILE [map NAME]` (ours), loading it for the one command", async () => {
    const before = openFds();
    const shown = jsonOf(await ours(["-j", "map", "show", "object", MAPS_FIXTURE, "map", "flows"]));
    expect(shown).toMatchObject({ type: "hash", name: "flows", bytes_key: 4, bytes_value: 112, max_entries: 64 });
    const all = jsonOf(await ours(["-j", "map", "show", "object", MAPS_FIXTURE])) as { name: string }[];
    expect(all.map((m) => m.name).sort()).toContain("bpftool_.rodata");
    const rodata = await ours(["map", "dump", "object", MAPS_FIXTURE, "m", "bpftool_.rodata"]);
    expect(rodata.stdout).toContain('"tag": "map"');
    const missing = await ours(["map", "show", "object", MAPS_FIXTURE, "map", "nope"]);
    expect(missing).toMatchObject({ status: 255, stderr: expect.stringMatching(/^Error: no map named 'nope' in /) });
    const notElf = await ours(["map", "dump", "object", "/proc/self/status"]);
    expect(notElf).toMatchObject({ status: 255, stderr: expect.stringMatching(/^Error: failed to load object file/) });
    // `map show` only reads the file (test/bpftool-object-readonly.test.ts): it fails on opening it
    const notElfShown = await ours(["map", "show", "object", "/proc/self/status"]);
    expect(notElfShown).toMatchObject({
      status: 255,
      stderr: expect.stringMatching(/Error: failed to open object file\n$/),
    });
    expect(openFds()).toBe(before);
  });
});
