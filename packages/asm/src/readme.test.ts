// Every ts example of packages/asm/README.md, run as written; what it prints is checked against what the README
// claims in its comments.
import { expect } from "vitest";
import { commentsAfter, describeReadme, runExample, trailingComment } from "../../../test/support/readme.js";

describeReadme("packages/asm/README.md", {
  "Decode and disassemble": {
    does: "disassembles four instructions and re-encodes them byte-identically",
    async run(example) {
      const { lines } = await runExample(example);
      const listing = commentsAfter(example, "console.log(disassemble(");
      expect(listing).toHaveLength(4);
      expect(trailingComment(example, "console.log(encodeInstructions")).toMatch(/^true\b/);
      expect(lines).toEqual([...listing, "true"]);
    },
  },
  "Build a program without clang": {
    does: "disassembles the program it built",
    async run(example) {
      expect((await runExample(example)).lines).toEqual([
        "   0: (62) *(u32 *)(r10 -4) = 0",
        "   1: (bf) r2 = r10",
        "   2: (07) r2 += -4",
        "   3: (18) r1 = 0x3",
        "   5: (85) call bpf_map_lookup_elem#1",
        "   6: (15) if r0 == 0x0 goto pc+1",
        "   7: (79) r0 = *(u64 *)(r0 +0)",
        "   8: (95) exit",
      ]);
    },
  },
});
