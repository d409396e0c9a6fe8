// The frame every command shares: global options, keyword prefixes, help, version, batch, and how errors and
// exit statuses come out, against the real bpftool where it defines them.
import { describe, expect, it } from "vitest";
import { ours, oursProcess, theirs } from "../../../../test/support/bpftool.js";
import { describeWith, useTempDir } from "../../../../test/support/env.js";
import { batchCommands, splitWords } from "../commands/batch.js";
import { JsonWriter } from "../json-writer.js";

describe("JsonWriter", () => {
  it("writes bpftool's pretty layout: line breaks before keys and closers only", () => {
    const w = new JsonWriter(true);
    w.startObject().name("ids").startArray().number(1).number(2).endArray().name("s").string("a\\b'c").endObject();
    expect(w.finish().take()).toBe(`{\n    "ids": [1,2\n    ],\n    "s": "a\\nb'c"\n}\n`);
  });
});

describe("batch files", () => {
  it("splits words, quotes, comments and continuation lines as bpftool does", () => {
    expect(splitWords(`map update name "my map" key 'a b' value 1`, 0)).toEqual([
      "map",
      "update",
      "name",
      "my map",
      "key",
      "a b",
      "value",
      "1",
    ]);
    expect(batchCommands("# c\nprog show # list\n\nmap \\\n dump id 1\n")).toEqual([
      { words: ["prog", "show"], line: 2 },
      { words: ["map", "dump", "id", "1"], line: 4 },
    ]);
    expect(() => splitWords(`a "b`, 3)).toThrow("unterminated quoted string in command 3");
  });
});

describeWith(["bpftool"], "the frame against bpftool 7.1.0", () => {
  const dir = useTempDir("bpfkit-bpftool-main-");
  const same = async (args: string[]) => {
    const [a, b] = [await ours(args), theirs(args)];
    expect({ args, ...a }).toEqual({ args, ...b });
  };

  it("prints the same help, usage errors and statuses", async () => {
    for (const args of [[], ["help"], ["-j"], ["-j", "help"], ["--foo"], ["-j", "--foo"], ["-j", "batch"], ["batch"]])
      await same(args);
  });

  it("runs batch files: JSON array of command and output, the same error, stdin with -", async () => {
    const { writeFileSync } = await import("node:fs");
    const file = `${dir()}/cmds`;
    writeFileSync(file, "help # a comment\n\nhelp\n");
    await same(["batch", "file", file]);
    await same(["-j", "batch", "file", file]);
    await same(["-p", "batch", "file", file]);
    await same(["-j", "batch", "file", `${dir()}/missing`]);
    const fromStdin = oursProcess(["-j", "batch", "file", "-"], "help\n");
    expect(fromStdin).toEqual(theirs(["-j", "batch", "file", "-"], "help\n"));
  });

  it("exits as bpftool does through the installed bin", () => {
    for (const args of [
      ["-j", "--foo"],
      ["-V", "-j"],
    ]) {
      const [a, b] = [oursProcess(args), theirs(args)];
      expect(a.status, args.join(" ")).toBe(b.status);
    }
  });
});
