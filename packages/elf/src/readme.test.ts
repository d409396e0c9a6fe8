// Every ts example of packages/elf/README.md, run as written; what it prints is checked against what the README
// claims in its comments.
import { expect } from "vitest";
import { commentsAfter, describeReadme, runExample, trailingComment } from "../../../test/support/readme.js";
import { loadFixture } from "../test-support/fixtures.js";
import { parseElf } from "./elf-file.js";

describeReadme("packages/elf/README.md", {
  Reading: {
    does: "prints the header, every section, the programs and the map relocations of xdp_parse.bpf.o",
    async run(example) {
      const { lines } = await runExample(example);
      const sections = parseElf(loadFixture("xdp_parse.bpf.o")).sections.length;
      // console.log prints strings unquoted where the comment quotes them.
      expect(lines[0]).toBe(trailingComment(example, "console.log(file.endianness").replaceAll('"', ""));
      const sectionLines = lines.slice(1, 1 + sections);
      expect(sectionLines).toHaveLength(sections);
      for (const line of sectionLines) expect(line).toMatch(/^\d+ \S* \d+ \d+ \d+$/);
      // node breaks the array over lines where the README shows it on one.
      const end = lines.indexOf("]", 1 + sections);
      const programs = lines.slice(1 + sections, end + 1).map((l) => l.trim());
      expect(programs.join(" ")).toBe(commentsAfter(example, "console.log(programs.map")[0]);
      const maps = lines.slice(end + 1);
      expect(maps.length).toBeGreaterThan(0);
      for (const line of maps) expect(line).toMatch(/^\d+ \w+ R_BPF_64_64$/);
    },
  },
  Writing: {
    does: "builds an object without printing anything",
    async run(example) {
      expect((await runExample(example)).lines).toEqual([]);
    },
  },
  Errors: {
    does: "prints the ElfError of a section past the end of the file",
    async run(example) {
      // One console.log of the fields and the message, shown in the README as two comment lines.
      expect((await runExample(example)).lines).toEqual([commentsAfter(example, "console.log(err.code").join(" ")]);
    },
  },
});
