import { describe, expect, it } from "vitest";
import { describeWith } from "../../../test/support/env.js";
import { fixtureNames, loadFixture, readelfBytes } from "../test-support/fixtures.js";
import { summarize } from "../test-support/summary.js";
import { parseElf } from "./elf-file.js";
import { elfToWriteModel } from "./write/from-file.js";
import { writeElf } from "./write/write-elf.js";

const roundTrip = (bytes: Uint8Array) => writeElf(elfToWriteModel(parseElf(bytes)));

describe("read → write → read keeps the model", () => {
  it.each(fixtureNames())("%s", (name) => {
    const input = parseElf(loadFixture(name));
    const output = parseElf(roundTrip(input.bytes));
    expect(summarize(output)).toEqual(summarize(input));
    // The string tables are rebuilt with the same tail merging as LLVM's, so they come out the same size.
    expect(output.sections.map((s) => s.size)).toEqual(input.sections.map((s) => s.size));
  });

  it("is a fixed point: writing a written file again gives the same bytes", () => {
    for (const name of fixtureNames()) {
      const once = roundTrip(loadFixture(name));
      expect(Buffer.from(roundTrip(once)).equals(Buffer.from(once))).toBe(true);
    }
  });
});

// llvm-readelf on our output and on clang's: same sections, symbols and relocations, offsets aside.
describeWith(["llvm-readelf"], "written objects read the same in llvm-readelf-19", () => {
  it.each(fixtureNames())("%s", (name) => {
    const input = loadFixture(name);
    const ours = readelfBytes(roundTrip(input));
    const theirs = readelfBytes(input);
    const withoutOffsets = (view: typeof ours) => ({
      sections: view.sections.map(({ Offset: _, Name, ...rest }) => ({ ...rest, Name: Name.Name })),
      symbols: view.symbols.map(({ Name, ...rest }) => ({ ...rest, Name: Name.Name })),
      relocations: view.relocations,
    });
    expect(withoutOffsets(ours)).toEqual(withoutOffsets(theirs));
  });
});
