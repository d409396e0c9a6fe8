// `bpftool map update|delete|getnext|push|pop|create|pin|freeze` against the real bpftool 7.1.0. A command that
// changes a map runs once with ours on one map and once with bpftool on a twin: the outputs must be identical, and
// so must the maps afterwards (read back by bpftool). Writes by ours are read by bpftool and the other way round.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countCpuList } from "@bpfkit/kernel";
import { afterAll, expect, it } from "vitest";
import { bytes, createArgs, loadMapsFixture, u32 } from "./bpftool-map-support.js";
import { same } from "./bpftool-oracle-support.js";
import { BPFTOOL_BIN, jsonOf, ours, oursProcess, type Run, theirs } from "./support/bpftool.js";
import { describeWith, usePinRoot } from "./support/env.js";
import { openFds } from "./support/failures.js";

const strip = (run: Run) => ({ stdout: run.stdout, stderr: run.stderr, status: run.status });

/** A directory that is not on bpffs: the commands refuse it (both tools create it first, so it is removed after). */
const NOT_BPFFS = join(tmpdir(), `bpfkit-not-bpffs-map-${process.pid}`);
afterAll(() => rmSync(NOT_BPFFS, { recursive: true, force: true }));

describeWith(["root", "bpftool", "bpffs"], "bpftool map edits against bpftool 7.1.0", () => {
  const root = usePinRoot();

  let made = 0;

  /** Two identical maps made by bpftool: `<root>/aN` for ours, `<root>/bN` for bpftool. */
  function twins(spec: string[]): { a: string; b: string } {
    made++;
    const a = `${root()}/a${made}`;
    const b = `${root()}/b${made}`;
    for (const [path, name] of [
      [a, "twin_a"],
      [b, "twin_b"],
    ] as const) {
      const run = theirs(["map", "create", path, ...spec, "name", name]);
      expect(run.status, run.stderr).toBe(0);
    }
    return { a, b };
  }

  /** A run with its map's path (which differs between the twins) written as MAP. */
  const named = (run: Run, path: string) => {
    const fix = (text: string) => text.replaceAll(path, "MAP");
    return { stdout: fix(run.stdout), stderr: fix(run.stderr), status: run.status };
  };

  /** A map's entries as bpftool dumps them, in a fixed order (twin hash maps hash differently). */
  const entries = (path: string) => {
    const dump = jsonOf(theirs(["-j", "map", "dump", "pinned", path])) as unknown[];
    return dump.map((e) => JSON.stringify(e)).sort();
  };

  /** Runs `args(a)` with ours and `args(b)` with bpftool; outputs must match, and the maps after. */
  async function onTwins(a: string, b: string, args: (pin: string) => string[]): Promise<Run> {
    const before = openFds();
    const mine = await ours(args(a));
    expect(openFds()).toBe(before);
    const other = theirs(args(b));
    const label = args("MAP").join(" ");
    expect({ label, ...named(mine, a) }).toEqual({ label, ...named(other, b) });
    const type = (jsonOf(theirs(["-j", "map", "show", "pinned", a])) as { type: string }).type;
    if (type !== "queue" && type !== "stack") expect(entries(a)).toEqual(entries(b));
    return mine;
  }

  it("updates hash maps with any/exist/noexist as bpftool, errors and statuses included", async () => {
    const { a, b } = twins(["type", "hash", "key", "4", "value", "8", "entries", "4"]);
    const kv = (k: number) => ["key", ...u32(k), "value", ...bytes([k, 0, 0, 0, 0, 0, 0, 0xff])];
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, ...kv(1)]);
    await onTwins(a, b, (p) => ["-j", "map", "update", "pinned", p, ...kv(2), "noexist"]);
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, ...kv(2), "noexist"]); // EEXIST: 239
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, ...kv(3), "exist"]); // ENOENT: 254
    await onTwins(a, b, (p) => [
      "map",
      "update",
      "pinned",
      p,
      "value",
      "hex",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
      "key",
      "hex",
      "ff",
      "0",
      "0",
      "0",
      "any",
    ]);
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, ...kv(4), "any", "exist"]);
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, ...kv(4), "value", "1"]);
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, "key", ...u32(4)]);
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, ...kv(5), "bogus"]);
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, "key", "1", "2", "3", "4", "value", "1"]);
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, ...kv(9)]); // E2BIG once full
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, ...kv(10)]);
    await same(["map", "dump", "pinned", a]);
    // what ours wrote, bpftool reads
    expect(theirs(["map", "lookup", "pinned", a, "key", ...u32(1)]).stdout).toBe(
      "key: 01 00 00 00  value: 01 00 00 00 00 00 00 ff\n",
    );
  });

  it("writes every CPU's slot of per-CPU maps and reads them back as bpftool", async () => {
    const { a, b } = twins(["type", "percpu_hash", "key", "4", "value", "12", "entries", "4"]);
    const value = bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, "key", ...u32(7), "value", ...value]);
    for (const mode of [[], ["-j"]]) {
      await same([...mode, "map", "lookup", "pinned", a, "key", ...u32(7)]);
      await same([...mode, "map", "dump", "pinned", a]);
    }
  });

  it("deletes, walks and empties maps as bpftool", async () => {
    const { a, b } = twins(["type", "array", "key", "4", "value", "4", "entries", "3"]);
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, "key", ...u32(1), "value", ...u32(0xabcdef)]);
    await onTwins(a, b, (p) => ["map", "delete", "pinned", p, "key", ...u32(1)]); // arrays refuse: EINVAL
    for (const mode of [[], ["-j"]]) {
      await same([...mode, "map", "getnext", "pinned", a]);
      await same([...mode, "map", "getnext", "pinned", a, "key", ...u32(1)]);
      await same([...mode, "map", "getnext", "pinned", a, "key", ...u32(2)]);
    }
    const h = twins(["type", "hash", "key", "4", "value", "4", "entries", "3"]);
    await onTwins(h.a, h.b, (p) => ["map", "update", "pinned", p, "key", ...u32(1), "value", ...u32(2)]);
    await onTwins(h.a, h.b, (p) => ["-j", "map", "delete", "pinned", p, "key", ...u32(1)]);
    await onTwins(h.a, h.b, (p) => ["map", "delete", "pinned", p, "key", ...u32(1)]); // ENOENT: 254
    await onTwins(h.a, h.b, (p) => ["map", "delete", "pinned", p]);
    await onTwins(h.a, h.b, (p) => ["map", "delete", "pinned", p, "key", ...u32(1), "key", "1"]);
    // long keys and values: bpftool's plain layout breaks lines and groups bytes by eight
    const wide = twins(["type", "hash", "key", "20", "value", "24", "entries", "2"]);
    const key = bytes(Array.from({ length: 20 }, (_, i) => i));
    const value = bytes(Array.from({ length: 24 }, (_, i) => 255 - i));
    await onTwins(wide.a, wide.b, (p) => ["map", "update", "pinned", p, "key", ...key, "value", ...value]);
    for (const mode of [[], ["-j"]]) {
      await same([...mode, "map", "dump", "pinned", wide.a]);
      await same([...mode, "map", "lookup", "pinned", wide.a, "key", ...key]);
      await same([...mode, "map", "getnext", "pinned", wide.a]);
    }
  });

  it("pushes, peeks, pops and dequeues queues and stacks as bpftool", async () => {
    for (const type of ["queue", "stack"]) {
      const { a, b } = twins(["type", type, "key", "0", "value", "4", "entries", "2"]);
      await onTwins(a, b, (p) => ["map", "push", "pinned", p, "value", ...u32(1)]);
      await onTwins(a, b, (p) => ["-j", "map", "enqueue", "pinned", p, "value", ...u32(2)]);
      await onTwins(a, b, (p) => ["map", "push", "pinned", p, "value", ...u32(3)]); // full: E2BIG
      await onTwins(a, b, (p) => ["map", "push", "pinned", p, "key", "1", "value", ...u32(3)]);
      await same(["map", "peek", "pinned", a]);
      await onTwins(a, b, (p) => ["map", "pop", "pinned", p]);
      await onTwins(a, b, (p) => ["-j", "map", "dequeue", "pinned", p]);
      await onTwins(a, b, (p) => ["map", "pop", "pinned", p]); // empty: "Error: empty map" on stdout, 254
      await onTwins(a, b, (p) => ["-j", "map", "pop", "pinned", p]);
    }
  });

  it("creates maps as bpftool does, pinned, with the same shape", async () => {
    const inner = `${root()}/inner`;
    expect(theirs(createArgs(inner, "type array key 4 value 4 entries 1", "in")).status).toBe(0);
    const specs = [
      ["type", "hash", "key", "4", "value", "8", "entries", "16", "name", "plain_hash"],
      ["type", "hash", "key", "4", "value", "8", "entries", "16", "name", "no_prealloc", "flags", "1"],
      ["type", "percpu_array", "key", "4", "value", "12", "entries", "2", "name", "pcpu"],
      ["type", "lru_hash", "key", "8", "value", "8", "entries", "128", "name", "abcdefghijklmnopqrstu"],
      ["name", "qq", "type", "queue", "key", "0", "value", "4", "entries", "4"],
      ["type", "ringbuf", "key", "0", "value", "0", "entries", "4096", "name", "rb"],
      ["type", "array_of_maps", "key", "4", "value", "4", "entries", "2", "name", "aom", "inner_map", "pinned", inner],
      ["t", "hash", "k", "0x4", "v", "010", "e", "2", "n", "prefixes"],
    ];
    for (const [i, spec] of specs.entries()) {
      const a = `${root()}/ours${i}`;
      const b = `${root()}/theirs${i}`;
      const mine = await ours(["-j", "map", "create", a, ...spec]);
      expect(strip(mine)).toEqual(strip(theirs(["-j", "map", "create", b, ...spec])));
      const shown = [a, b].map((p) => {
        const info = jsonOf(theirs(["-j", "map", "show", "pinned", p])) as Record<string, unknown>;
        delete info.id;
        delete info.name;
        return info;
      });
      expect(shown[0]).toEqual(shown[1]);
    }
  });

  it("refuses bad create lines with bpftool's messages and leaves nothing behind", async () => {
    const pin = `${root()}/new`;
    const lines = [
      ["type", "hash", "key", "4", "value", "4", "entries", "4"],
      ["type", "hash", "key", "4", "value", "4", "entries", "4", "name", "x", "key", "3"],
      ["type", "hashx", "key", "4", "value", "4", "entries", "4", "name", "x"],
      ["type", "hash", "type", "array", "key", "4", "value", "4", "entries", "4", "name", "x"],
      ["type", "hash", "key", "four", "value", "4", "entries", "4", "name", "x"],
      ["type", "hash", "key", "4", "value", "4", "entries", "4", "name", "x", "extra"],
      ["type", "hash", "key", "4", "value", "4", "entries", "4", "name", "x", "bogus", "1"],
      ["type", "hash", "key", "4", "value", "4", "entries", "0", "name", "x"],
      ["type", "hash", "key", "4", "value", "4", "entries", "4", "name", "a-b"],
      ["type", "hash", "key", "4", "value", "4", "entries", "4", "name", "x", "dev", "nosuchdev0"],
      ["type", "hash", "key", "4", "value", "4", "entries", "4", "name", "x", "inner_map", "id"],
      ["type", "hash", "key", "4", "value", "4", "entries", "4", "name", "x", "inner_map", "id", "4294967295"],
      ["type", "hash"],
    ];
    for (const line of lines) {
      for (const mode of [[], ["-j"]]) await same([...mode, "map", "create", pin, ...line]);
      expect(readdirSync(root())).toEqual([]);
    }
    // an existing pin: the map is created, the pin fails (EEXIST: 239), the map goes with our descriptor
    expect(theirs(createArgs(pin, "type hash key 4 value 4 entries 4", "x")).status).toBe(0);
    const run = await same(createArgs(pin, "type hash key 4 value 4 entries 4", "dup_pin"));
    expect(run.status).toBe(239);
    expect(theirs(["-j", "map", "show", "name", "dup_pin"])).toMatchObject({ stdout: "\n", status: 255 });
  });

  it("pins and freezes maps as bpftool", async () => {
    const { a, b } = twins(["type", "hash", "key", "4", "value", "4", "entries", "4"]);
    await onTwins(a, b, (p) => ["-j", "map", "pin", "pinned", p, `${p}_again`]);
    expect(theirs(["map", "show", "pinned", `${a}_again`]).stdout).toContain("name twin_a");
    for (const mode of [[], ["-j"]]) await same(["-f", ...mode, "map", "show", "pinned", a]); // both pins, in order
    await onTwins(a, b, (p) => ["map", "pin", "pinned", p, `${p}_again`]); // EEXIST: 239
    await onTwins(a, b, (p) => ["map", "pin", "pinned", p]);
    await onTwins(a, b, (p) => ["-n", "map", "pin", "pinned", p, `${NOT_BPFFS}/x`]);
    await onTwins(a, b, (p) => ["map", "pin", "pinned", p, `/tmp/bpfkit-no-such-dir-${process.pid}/x`]);
    await onTwins(a, b, (p) => ["map", "freeze", "pinned", p]);
    await onTwins(a, b, (p) => ["-j", "map", "freeze", "pinned", p]); // EBUSY the second time
    await onTwins(a, b, (p) => ["map", "update", "pinned", p, "key", ...u32(1), "value", ...u32(1)]); // EPERM
    await same(["map", "show", "pinned", a]);
  });

  it("sets map-in-map and prog array slots by MAP and PROG, as bpftool", async () => {
    loadMapsFixture(root());
    const maps = `${root()}/maps`;
    const inner = `${maps}/inner_a`;
    const innerId = String((jsonOf(theirs(["-j", "map", "show", "pinned", inner])) as { id: number }).id);
    const outerA = `${root()}/outer_a`;
    const outerB = `${root()}/outer_b`;
    for (const p of [outerA, outerB])
      expect(
        theirs(createArgs(p, "type array_of_maps key 4 value 4 entries 4", "o", "inner_map", "pinned", inner)).status,
      ).toBe(0);
    await onTwins(outerA, outerB, (p) => ["map", "update", "pinned", p, "key", ...u32(0), "value", "pinned", inner]);
    await onTwins(outerA, outerB, (p) => ["map", "update", "pinned", p, "key", ...u32(1), "value", "id", innerId]);
    await onTwins(outerA, outerB, (p) => [
      "map",
      "update",
      "pinned",
      p,
      "key",
      ...u32(2),
      "value",
      "pinned",
      `${maps}/flows`,
    ]);
    await onTwins(outerA, outerB, (p) => ["map", "update", "pinned", p, "key", ...u32(2), "value", "pinned"]);
    await onTwins(outerA, outerB, (p) => ["map", "update", "pinned", p, "key", ...u32(2), "value", "1", "2", "3", "4"]);
    await same(["map", "dump", "pinned", outerA]);
    // a prog array: the program by pin (bpftool's warning for `id` goes to stderr)
    const jumps = `${maps}/jumps`;
    const target = `${root()}/x/target`;
    const before = theirs(["-j", "map", "dump", "pinned", jumps]);
    expect((await ours(["map", "update", "pinned", jumps, "key", ...u32(2), "value", "pinned", target])).status).toBe(
      0,
    );
    const after = jsonOf(theirs(["-j", "map", "dump", "pinned", jumps])) as unknown[];
    expect(after.length).toBe((jsonOf(before) as unknown[]).length + 1);
    await same(["map", "update", "pinned", jumps, "key", ...u32(3), "value", "id", "4294967295"]);
    await same(["map", "update", "pinned", jumps, "key", ...u32(3), "value", "pinned", inner]);
  });

  it("takes keys and values as JSON typed by the map's BTF (ours, beyond bpftool)", async () => {
    loadMapsFixture(root());
    const flows = `${root()}/maps/flows`;
    const value = JSON.stringify({ packets: 18446744073709551615n.toString(), comm: "json", color: "BLUE", kind: 3 });
    // a quoted big number is not an integer for the codec: write it bare, as a JSON number
    const text = value.replace('"18446744073709551615"', "18446744073709551615");
    const run = await ours(["map", "update", "pinned", flows, "key", "json", "42", "value", "json", text]);
    expect(strip(run)).toEqual({ stdout: "", stderr: "", status: 0 });
    const shown = jsonOf(theirs(["-j", "map", "lookup", "pinned", flows, "key", ...u32(42)])) as {
      formatted: { value: Record<string, unknown> };
    };
    expect(shown.formatted.value).toMatchObject({ comm: "json", color: "BLUE", kind: "0x3", delta: 0 });
    expect(theirs(["map", "lookup", "pinned", flows, "key", ...u32(42)]).stdout).toContain(
      '"packets": 18446744073709551615',
    );
    // ours reads it back the same way, also with a JSON key
    expect(strip(await ours(["-j", "map", "lookup", "pinned", flows, "key", "json", "42"]))).toEqual(
      strip(theirs(["-j", "map", "lookup", "pinned", flows, "key", ...u32(42)])),
    );
    const fail = async (args: string[], message: RegExp) => {
      const r = await ours(["map", ...args]);
      expect(r.status).toBe(255);
      expect(r.stderr).toMatch(message);
    };
    await fail(
      ["update", "pinned", flows, "key", "json", "1", "value", "json", '{"nope": 1}'],
      /^Error: value JSON does not fit the map's value type: .*'nope'\n$/,
    );
    await fail(
      ["update", "pinned", flows, "key", "json", "{", "value", "json", "{}"],
      /^Error: can't parse key JSON: /,
    );
    await fail(
      ["update", "pinned", flows, "key", "json", "-1", "value", "json", "{}"],
      /^Error: key JSON does not fit/,
    );
    const plain = `${root()}/plain`;
    expect(theirs(createArgs(plain, "type hash key 4 value 4 entries 4", "p")).status).toBe(0);
    await fail(
      ["update", "pinned", plain, "key", "json", "1", "value", "1", "0", "0", "0"],
      /^Error: key json needs a map with a BTF key type\n$/,
    );
  });

  it("keeps working through the installed bin: exit statuses of a miss and of bad input", () => {
    const { a } = twins(["type", "hash", "key", "4", "value", "4", "entries", "4"]);
    const miss = oursProcess(["-j", "map", "lookup", "pinned", a, "key", ...u32(1)]);
    expect(strip(miss)).toEqual(strip(theirs(["-j", "map", "lookup", "pinned", a, "key", ...u32(1)])));
    expect(miss.status).toBe(254);
    const bad = oursProcess(["map", "lookup", "pinned", a, "key", "1", "2"]);
    expect(strip(bad)).toEqual(strip(theirs(["map", "lookup", "pinned", a, "key", "1", "2"])));
  });

  /** Perf events a process has open. */
  const perfFds = (pid: number) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`).includes("perf_event");
        } catch {
          return false;
        }
      }).length;
    } catch {
      return 0;
    }
  };

  /**
   * Runs an event_pipe command, lets the fixture's program send two samples from CPU 0 once the reader has its
   * perf events, then stops it with SIGINT as a user would. Never waits more than a few seconds.
   */
  async function eventPipe(cmd: string, args: string[], prog: string, ready: (pid: number) => boolean): Promise<Run> {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) =>
      child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 0))),
    );
    const deadline = Date.now() + 10_000;
    while (!ready(child.pid ?? 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // the map slots are set right after the events open
    const packet = join(tmpdir(), `bpfkit-map-pkt-${process.pid}`);
    writeFileSync(packet, new Uint8Array(64));
    const run = spawnSync("taskset", [
      "-c",
      "0",
      "bpftool",
      "prog",
      "run",
      "pinned",
      prog,
      "data_in",
      packet,
      "repeat",
      "2",
    ]);
    rmSync(packet, { force: true });
    expect(run.status, String(run.stderr)).toBe(0);
    await new Promise((r) => setTimeout(r, 800)); // the reader wakes up on the first sample
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    const status = await exited;
    clearTimeout(timer);
    return { stdout, stderr, status };
  }

  it("reads perf event arrays with event_pipe until SIGINT, as bpftool", async () => {
    loadMapsFixture(root());
    const perf = `${root()}/maps/perf`;
    const prog = `${root()}/x/use_maps`;
    const cpus = countCpuList(readFileSync("/sys/devices/system/cpu/online", "utf8"));
    const noTime = (run: Run) => ({
      ...run,
      stdout: run.stdout.replace(/"timestamp":\d+/g, '"timestamp":T').replace(/@\d+\.\d{9}/g, "@T"),
    });
    for (const mode of [[], ["-j"]]) {
      for (const where of [[], ["cpu", "0", "index", "0"]]) {
        const args = [...mode, "map", "event_pipe", "pinned", perf, ...where];
        const ready = (pid: number) => perfFds(pid) >= (where.length ? 1 : cpus);
        const mine = noTime(await eventPipe(BPFTOOL_BIN, args, prog, ready));
        const other = noTime(await eventPipe("bpftool", args, prog, ready));
        expect(mine).toEqual(other);
        expect(mine.stderr).toBe("Stopping...\n");
        expect(mine.stdout).toMatch(mode.length ? /"data":\[0,0,0,0\]/ : /CPU: 0 index: 0 =====\n00 00 00 00\n/);
      }
    }
  }, 60_000);

  it("reads ring buffers with event_pipe (ours; bpftool refuses them)", async () => {
    loadMapsFixture(root());
    const ring = `${root()}/maps/ring`;
    const prog = `${root()}/x/use_maps`;
    // ready once the ring is mapped into the reader
    const mapped = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/maps`, "utf8").includes("bpf-map");
      } catch {
        return false;
      }
    };
    const json = await eventPipe(BPFTOOL_BIN, ["-j", "map", "event_pipe", "pinned", ring], prog, mapped);
    expect(json).toEqual({
      stdout: '[{"size":4,"data":[0,0,0,0]},{"size":4,"data":[0,0,0,0]}]\n',
      stderr: "Stopping...\n",
      status: 0,
    });
    const plain = await eventPipe(BPFTOOL_BIN, ["map", "event_pipe", "pinned", ring], prog, mapped);
    expect(plain.stdout).toBe("== ringbuf record: 4 bytes =====\n00 00 00 00\n".repeat(2));
    const refused = theirs(["map", "event_pipe", "pinned", ring]);
    expect(refused).toMatchObject({ stderr: "Error: map is not a perf event array\n", status: 255 });
    expect(strip(await ours(["map", "event_pipe", "pinned", ring, "cpu", "0", "index", "0"]))).toEqual({
      stdout: "",
      stderr: "Error: cpu and index apply to perf event arrays only\n",
      status: 255,
    });
  }, 30_000);
});
