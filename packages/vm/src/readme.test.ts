// Every ts example of packages/vm/README.md, run as written; what it prints is checked against its comments.
import { expect } from "vitest";
import { describeReadme, runExample, trailingComment } from "../../../test/support/readme.js";

describeReadme("packages/vm/README.md", {
  "Run a program": {
    does: "runs a three-instruction program and prints r0",
    async run(example) {
      const { lines } = await runExample(example);
      expect(lines).toEqual([trailingComment(example, "console.log(interpret(")]);
    },
  },
  "As a loader backend": {
    does: "runs xdp_parse in the VM (compiled) and prints its verdict and counter",
    needs: ["vmlinux-btf"],
    async run(example) {
      const { lines } = await runExample(example);
      expect(lines).toEqual([
        trailingComment(example, 'console.log(c.program("xdp_parse")'),
        trailingComment(example, 'console.log(c.map("proto_count")'),
      ]);
    },
  },
  "Attaching and triggering": {
    does: "attaches attach.bpf.o's tracing programs to VM hooks, fires them and prints the counts",
    needs: ["vmlinux-btf"],
    async run(example) {
      const { lines } = await runExample(example);
      expect(lines).toEqual([trailingComment(example, "console.log(links")]);
    },
  },
});
