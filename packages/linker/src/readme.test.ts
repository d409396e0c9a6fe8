// Every ts example of packages/linker/README.md, run as written; what it prints is checked against its comments.
import { expect } from "vitest";
import { commentsAfter, describeReadme, runExample } from "../../../test/support/readme.js";

describeReadme("packages/linker/README.md", {
  Link: {
    does: "links the three-file fixture and prints the ELF magic",
    async run(example) {
      const { lines } = await runExample(example);
      expect(lines).toEqual(commentsAfter(example, "console.log(linked.length"));
    },
  },
  "Explain and errors": {
    does: "prints the weak-symbol account and a map mismatch's fields",
    async run(example) {
      const { lines } = await runExample(example);
      const explained = commentsAfter(example, "for (const r of linker.explain()");
      expect(lines.slice(0, 3)).toEqual(explained);
      expect(lines.slice(3).join(" ").replace(/\s+/g, " ")).toBe(
        commentsAfter(example, "console.log(error.code")[0]!.replace(/\s+/g, " "),
      );
    },
  },
});
