// `bpftool btf show|list` and `btf dump` against the real bpftool 7.1.0: stdout (raw text, -j, -p, format c),
// stderr and exit status compared whole, on vmlinux, every fixture object's .BTF, split BTF (-B), BTF the kernel
// holds for programs and maps that bpftool loaded, and bad input. Ours runs in-process (`ours`), except where the
// process itself matters (-B is parsed with the options; the installed bin's C dump fast path).
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Btf } from "@bpfkit/btf";
import { parseElf } from "@bpfkit/elf";
import { describe, expect, it } from "vitest";
import { fixtureObjects, same, VMLINUX } from "./bpftool-oracle-support.js";
import { rebaseRawBtf } from "./btf-dump-c-raw.js";
import { fixtureDir } from "./btf-dump-c-support.js";
import { BPFTOOL_BIN, jsonOf, ours, oursProcess, type Run, theirs } from "./support/bpftool.js";
import { describeWith, usePinRoot, useTempDir } from "./support/env.js";

const tmp = useTempDir("bpfkit-bpftool-btf-");

/**
 * `same` for output that other tests change meanwhile (the kernel's programs, maps and BTF objects): bpftool runs
 * before and after ours, and only a pair of identical answers from it is compared with ours. The order of
 * `prog_ids`/`map_ids` follows bpftool's hashmap, which every other entry influences, so it is compared too.
 */
async function sameWhenStable(args: readonly string[]): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = theirs(args);
    const mine = await ours(args);
    const after = theirs(args);
    if (JSON.stringify(before) !== JSON.stringify(after)) continue;
    expect(mine, args.join(" ")).toEqual(before);
    return;
  }
  throw new Error(`bpftool's own answer to ${args.join(" ")} kept changing`);
}

function fixtureBtf(object: string): Uint8Array {
  const section = parseElf(new Uint8Array(readFileSync(join(fixtureDir, object)))).sectionByName(".BTF");
  if (!section) throw new Error(`${object} has no .BTF`);
  return section.data;
}

describe("btf help", () => {
  it("prints bpftool's help, null with -j", async () => {
    const help = await ours(["btf", "help"]);
    expect(help.stderr).toContain(
      "BTF_SRC := { id BTF_ID | prog PROG | map MAP [{key | value | kv | all}] | file FILE }",
    );
    expect((await ours(["-j", "btf", "help"])).stdout).toBe("null\n");
  });
});

describeWith(["bpftool"], "btf dump file = bpftool", () => {
  it("every fixture object's .BTF: raw, -j, -p and format c", async () => {
    const objects = fixtureObjects();
    expect(objects.length).toBeGreaterThan(20);
    for (const object of objects) {
      for (const mode of [[], ["-j"], ["-p"]]) {
        const r = await same([...mode, "btf", "dump", "file", object]);
        expect(r.status, object).toBe(0);
      }
      expect((await same(["btf", "dump", "file", object, "format", "c"])).status, object).toBe(0);
    }
  });

  it("keywords by prefix, formats, and a C dump with -j", async () => {
    const object = join(fixtureDir, "globals.bpf.o");
    await same(["btf", "d", "f", object, "f", "r"]);
    await same(["btf", "dump", "file", object, "format", "raw", "format", "c"]);
    expect((await same(["-j", "btf", "dump", "file", object, "format", "c"])).status).toBe(161);
    for (const bad of [["format"], ["format", "C"], ["format", "json"], ["bogus"]]) {
      expect((await same(["btf", "dump", "file", object, ...bad])).status, bad.join(" ")).toBe(234);
      await same(["-j", "btf", "dump", "file", object, ...bad]);
    }
  });

  it("bad command lines: bpftool's messages, usage and statuses", async () => {
    for (const args of [
      ["btf", "dump"],
      ["btf", "dump", "file"],
      ["btf", "dump", "map"],
      ["btf", "dump", "prog"],
      ["btf", "dump", "bogus", "x"],
      ["btf", "dump", "id", "abc"],
      ["btf", "dump", "id", "1x"],
      ["btf", "bogus"],
      ["btf", "help"],
      ["-j", "btf", "dump", "id", "abc"],
      ["-j", "btf", "bogus"],
      // usage() with -j: the error, then the help as JSON prints it, `null`.
      ["-j", "btf", "dump"],
      ["-p", "btf", "dump", "map"],
    ]) {
      await same(args);
    }
  });

  it("files that are not BTF: bpftool's error, libbpf's warnings and status", async () => {
    const dir = tmp();
    const object = readFileSync(join(fixtureDir, "xdp_pass.bpf.o"));
    const btf = fixtureBtf("core_task.bpf.o");
    const header = (magic: number, hdrLen: number, little = true) => {
      const b = Buffer.alloc(48);
      b.writeUInt16LE(magic, 0);
      b.writeUInt8(1, 2);
      if (little) b.writeUInt32LE(hdrLen, 4);
      else b.writeUInt32BE(hdrLen, 4);
      return b;
    };
    const files: Record<string, Uint8Array> = {
      empty: new Uint8Array(0),
      "one-byte": Uint8Array.of(0x9f),
      junk: Buffer.from("hello, not BTF\n"),
      "header-only": btf.subarray(0, 24),
      truncated: btf.subarray(0, 100),
      "trailing-bytes": (() => {
        // Four more type bytes than records: libbpf's "BTF types data is malformed".
        const b = Buffer.from(btf);
        const grown = Buffer.concat([b.subarray(0, 24), b.subarray(24, 24 + b.readUInt32LE(12)), Buffer.alloc(4)]);
        grown.writeUInt32LE(b.readUInt32LE(12) + 4, 12);
        grown.writeUInt32LE(b.readUInt32LE(16) + 4, 16);
        return Buffer.concat([grown, b.subarray(24 + b.readUInt32LE(16))]);
      })(),
      "other-endian-long-header": header(0x9feb, 32, false),
      "elf-truncated-10": object.subarray(0, 10),
      "elf-truncated-64": object.subarray(0, 64),
      "elf-truncated-half": object.subarray(0, object.length >> 1),
    };
    for (const [name, bytes] of Object.entries(files)) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = await same(["btf", "dump", "file", file]);
      expect(r.status, name).not.toBe(0);
      expect(r.stderr, name).toMatch(/^(libbpf: .*\n)*Error: failed to load BTF from .*\n$/);
      await same(["-j", "btf", "dump", "file", file, "format", "c"]);
    }
    // Files that exist but hold no BTF: a directory, a program, a missing path, devices that never end or are empty.
    for (const file of [dir, "/bin/sh", join(dir, "nothing-here"), "/dev/zero", "/dev/null"]) {
      expect((await same(["btf", "dump", "file", file])).status, file).not.toBe(0);
    }
    // A pipe: BTF cannot be sized by seeking it, and libelf cannot take it. (A shell pipeline, so that the writer
    // may find the reader gone without it being anyone's error.)
    const piped = (bin: string, input: string): Run => {
      const r = spawnSync("sh", ["-c", 'cat "$1" | "$2" btf dump file /dev/stdin', "sh", input, bin], {
        encoding: "utf8",
      });
      return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
    };
    writeFileSync(join(dir, "text"), "hello\n");
    for (const input of [join(dir, "truncated"), join(fixtureDir, "xdp_pass.bpf.o"), join(dir, "text")]) {
      const r = piped(BPFTOOL_BIN, input);
      expect(r, input).toEqual(piped("bpftool", input));
      expect(r.status).not.toBe(0);
    }
  });
});

describeWith(["bpftool", "vmlinux-btf"], "btf dump file vmlinux and split BTF = bpftool", () => {
  it("vmlinux: raw and -j byte for byte", async () => {
    for (const mode of [[], ["-j"]]) {
      const reference = theirs([...mode, "btf", "dump", "file", VMLINUX]);
      expect(reference.status).toBe(0);
      const r = await ours([...mode, "btf", "dump", "file", VMLINUX]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.length).toBe(reference.stdout.length);
      expect(r.stdout === reference.stdout, `btf dump ${mode.join(" ")} differs`).toBe(true);
    }
  });

  it("split BTF on -B: raw, -j and format c, through the installed bin", () => {
    const base = Btf.parse(new Uint8Array(readFileSync(VMLINUX)));
    const split = join(tmp(), "split.btf");
    writeFileSync(split, rebaseRawBtf(fixtureBtf("core_task.bpf.o"), base.typeCount, base.strings.end));
    for (const args of [
      ["-B", VMLINUX, "btf", "dump", "file", split],
      ["-j", "-B", VMLINUX, "btf", "dump", "file", split],
      ["-B", VMLINUX, "btf", "dump", "file", split, "format", "c"],
    ]) {
      const reference = theirs(args);
      expect(reference.status, reference.stderr).toBe(0);
      const r = oursProcess(args);
      expect(r.stdout === reference.stdout, args.join(" ")).toBe(true);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    }
    // Without its base, split BTF is not BTF.
    expect(oursProcess(["btf", "dump", "file", split])).toEqual(theirs(["btf", "dump", "file", split]));
  });

  it("-B that cannot be parsed fails the run before any command, as bpftool's option loop does", () => {
    const junk = join(tmp(), "junk");
    writeFileSync(junk, "junk");
    for (const args of [
      ["-B", junk, "btf", "dump", "file", VMLINUX],
      ["-B", join(tmp(), "missing"), "btf", "show"],
      ["-j", "-B", junk, "btf", "show"],
      ["-B", junk, "-j", "btf", "show"],
      ["-p", "-B", junk, "version"],
    ]) {
      const r = oursProcess(args);
      expect(r, args.join(" ")).toEqual(theirs(args));
      expect(r.status).toBe(255);
    }
  });
});

describeWith(["root", "bpftool", "bpffs"], "btf show and btf dump of kernel BTF = bpftool", () => {
  const pinRoot = usePinRoot();

  /** Loads a fixture with bpftool (programs and maps pinned under the test's root); returns the pin dirs. */
  function load(name: string): { progs: string; maps: string } {
    const dir = pinRoot();
    const progs = `${dir}/${name}`;
    const maps = `${dir}/${name}_maps`;
    execFileSync("bpftool", ["prog", "loadall", join(fixtureDir, `${name}.bpf.o`), progs, "pinmaps", maps]);
    return { progs, maps };
  }

  function btfIdOf(mapPin: string): number {
    return (jsonOf(theirs(["-j", "map", "show", "pinned", mapPin])) as { btf_id: number }).btf_id;
  }

  it("btf show: the loaded object's BTF with its programs and maps, plain and -j", async () => {
    const { maps } = load("bpftool_maps");
    const id = btfIdOf(`${maps}/counters`);
    expect(id).toBeGreaterThan(0);
    for (const mode of [[], ["-j"], ["-p"]]) {
      await sameWhenStable([...mode, "btf", "show", "id", String(id)]);
      await sameWhenStable([...mode, "btf", "list", "id", "1"]);
    }
    // The whole list: other tests load and unload objects meanwhile; ours and vmlinux's entries are stable
    // (program and map ids compared as sets here), the whole list is compared when bpftool's own answer is.
    type Entry = { id: number; prog_ids: number[]; map_ids: number[] };
    const pick = (entries: Entry[]) =>
      entries
        .filter((e) => e.id === id || e.id === 1)
        .map((e) => ({ ...e, prog_ids: [...e.prog_ids].sort(), map_ids: [...e.map_ids].sort() }));
    const mine = pick(jsonOf(await ours(["-j", "btf", "show"])) as Entry[]);
    expect(mine).toHaveLength(2);
    expect(mine).toEqual(pick(jsonOf(theirs(["-j", "btf", "show"])) as Entry[]));
    await sameWhenStable(["btf", "show"]);
  });

  it("btf show errors", async () => {
    for (const args of [
      ["btf", "show", "id"],
      ["btf", "show", "id", "1", "x"],
      ["btf", "show", "foo", "1"],
      ["btf", "show", "id", "abc"],
      ["btf", "show", "id", "4000000000"],
      ["-j", "btf", "show", "id", "4000000000"],
    ]) {
      await same(args);
    }
  });

  it("btf dump id / prog / map [key|value|kv|all], raw, -j, -p and format c", async () => {
    const { progs, maps } = load("bpftool_maps");
    const id = String(btfIdOf(`${maps}/counters`));
    const target = `${progs}/target`;
    for (const mode of [[], ["-j"], ["-p"]]) {
      await same([...mode, "btf", "dump", "id", id]);
      await same([...mode, "btf", "dump", "prog", "pinned", target]);
      for (const map of ["counters", "by_tuple", "bpftool__bss", "perf", "jumps"]) {
        for (const which of [[], ["key"], ["value"], ["kv"], ["all"], ["k"], ["v"]]) {
          await same([...mode, "btf", "dump", "map", "pinned", `${maps}/${map}`, ...which]);
        }
      }
    }
    await same(["btf", "dump", "id", id, "format", "c"]);
    await same(["btf", "dump", "map", "pinned", `${maps}/by_tuple`, "format", "c"]);
    await same(["btf", "dump", "map", "pinned", `${maps}/by_tuple`, "all", "format", "c"]);
    await same(["btf", "dump", "prog", "pinned", target, "format", "c"]);
    // vmlinux by id, read back from the kernel.
    expect((await same(["btf", "dump", "id", "1"])).stdout.length).toBeGreaterThan(1_000_000);
  });

  it("btf dump of kernel objects that are not there, or have no BTF", async () => {
    const { progs, maps } = load("xdp_parse");
    for (const args of [
      ["btf", "dump", "id", "4000000000"],
      ["-j", "btf", "dump", "id", "4000000000"],
      ["btf", "dump", "prog", "id", "4000000000"],
      ["btf", "dump", "map", "id", "4000000000"],
      ["btf", "dump", "map", "pinned", `${maps}/nothing`],
      ["btf", "dump", "map", "pinned", `${progs}/xdp_parse`],
      ["btf", "dump", "prog", "pinned", `${maps}/proto_count`],
    ]) {
      await same(args);
    }
  });

  it("ours: `object FILE` dumps an object's BTF as the kernel holds it once loaded, without loading it", async () => {
    const { progs, maps } = load("globals");
    const object = join(fixtureDir, "globals.bpf.o");
    for (const mode of [[], ["-j"]]) {
      const loaded = theirs([...mode, "btf", "dump", "prog", "pinned", `${progs}/globals_socket`]);
      expect(await ours([...mode, "btf", "dump", "prog", "object", object, "program", "globals_socket"])).toEqual(
        loaded,
      );
      expect(await ours([...mode, "btf", "dump", "prog", "object", object])).toEqual(loaded);
      for (const which of [[], ["key"], ["value"], ["all"]]) {
        expect(
          await ours([...mode, "btf", "dump", "map", "object", object, "map", "globals.bss", ...which]),
          which.join(" "),
        ).toEqual(theirs([...mode, "btf", "dump", "map", "pinned", `${maps}/globals_bss`, ...which]));
      }
    }
    const missing = await ours(["btf", "dump", "map", "object", object, "map", "nope"]);
    expect(missing.status).toBe(255);
    expect(missing.stderr).toMatch(/^Error: no map named 'nope' in .*globals\.bpf\.o \(maps: globals\.data, /);
    const several = await ours(["btf", "dump", "map", "object", object]);
    expect(several.stderr).toBe("Error: several maps match this handle\n");
  });
});
