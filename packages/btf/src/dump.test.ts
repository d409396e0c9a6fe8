import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { describeWith } from "../../../test/support/env.js";
import { fixtureDir, fixtureObjects, readFixture, readVmlinux, VMLINUX } from "../test-support/fixtures.js";
import { Btf, btfFromElf, dumpBtfJson, dumpBtfJsonTo, dumpBtfRaw } from "./btf-api.js";

function bpftool(args: string[]): string {
  return execFileSync("bpftool", args, { maxBuffer: 1 << 30, encoding: "utf8" });
}

/** bpftool's JSON can hold numbers past 2^53 (enum64 values); compare them as text. */
function parseExact(text: string): unknown {
  return JSON.parse(text.replace(/:(-?\d{16,})/g, ':"$1"'));
}

describeWith(["bpftool"], "raw dumps match bpftool btf dump", () => {
  for (const object of fixtureObjects()) {
    it(`${object}: text and JSON`, () => {
      const btf = btfFromElf(readFixture(object));
      expect(dumpBtfRaw(btf)).toBe(bpftool(["btf", "dump", "file", fixtureDir + object]));
      const json = dumpBtfJson(btf);
      expect(parseExact(json)).toEqual(parseExact(bpftool(["-j", "btf", "dump", "file", fixtureDir + object])));
    });
  }
});

describeWith(["bpftool", "vmlinux-btf"], "raw dumps of vmlinux match bpftool", () => {
  it("text is byte-identical", () => {
    const ours = dumpBtfRaw(Btf.parse(readVmlinux()));
    const theirs = bpftool(["btf", "dump", "file", VMLINUX]);
    if (ours !== theirs) {
      const a = ours.split("\n");
      const b = theirs.split("\n");
      const i = a.findIndex((line, n) => line !== b[n]);
      expect(a[i]).toBe(b[i]);
    }
    expect(ours.length).toBe(theirs.length);
  });

  it("JSON parses to the same objects, and the chunked writer gives the same text", () => {
    const btf = Btf.parse(readVmlinux());
    const ours = dumpBtfJson(btf);
    const chunks: Buffer[] = [];
    dumpBtfJsonTo(btf, (c) => chunks.push(Buffer.from(c)));
    expect(chunks.length).toBeGreaterThan(10);
    expect(Buffer.concat(chunks).toString("utf8")).toBe(ours);
    const theirs = bpftool(["-j", "btf", "dump", "file", VMLINUX]);
    expect(parseExact(ours)).toEqual(parseExact(theirs));
    // bpftool's compact writer and ours agree byte for byte on vmlinux (no escapes needed there).
    expect(ours).toBe(theirs);
  });
});
