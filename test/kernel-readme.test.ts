// Every ts example of packages/kernel/README.md, run as written; what it prints is checked against what the README
// claims in its comments.
import { expect } from "vitest";
import { useMachineLock } from "./support/env.js";
import { describeReadme, runExample, trailingComment } from "./support/readme.js";

// The struct_ops example registers "bpfkit_cc", as test/loader-struct-ops.test.ts does.
useMachineLock("struct_ops-bpfkit_cc");

describeReadme("packages/kernel/README.md", {
  Example: {
    does: "counts 1000 packets in an XDP program and prints its info",
    needs: ["root"],
    async run(example) {
      const { lines } = await runExample(example);
      expect(trailingComment(example, "console.log(`retval")).toBe("retval 2, ..., counter 1000");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^retval 2, \d+ ns per run, counter 1000$/);
      expect(lines[1]).toMatch(/^prog id \d+ "count_packets" tag [0-9a-f]{16}, maps \d+$/);
    },
  },
  "Example (2)": {
    does: "catches the VerifierError of a program that exits without setting r0",
    needs: ["root"],
    async run(example) {
      const { lines } = await runExample(example);
      expect(lines[0]).toBe(trailingComment(example, "console.log(e.message)"));
      // The whole log follows (its other lines vary between kernels).
      expect(lines.slice(1).join("\n")).toContain("0: (95) exit\nR0 !read_ok\n");
    },
  },
  "Loading an object file": {
    does: "drops UDP, counts it typed and reads the .bss global",
    needs: ["root", "vmlinux-btf"],
    async run(example) {
      expect(example.code.split("\n").length).toBeLessThan(26);
      const { lines } = await runExample(example);
      expect(lines).toEqual(["verdict 1", "UDP packets: 10", "packets seen: 10"]);
      expect(trailingComment(example, "console.log(`verdict")).toBe("verdict 1 (XDP_DROP)");
      expect(trailingComment(example, "console.log(`UDP")).toBe("UDP packets: 10");
      expect(trailingComment(example, "console.log(`packets")).toMatch(/^packets seen: 10\b/);
    },
  },
  struct_ops: {
    does: "registers the fixture's TCP congestion control and unregisters it",
    needs: ["root", "vmlinux-btf"],
    async run(example) {
      const { lines } = await runExample(example);
      expect(lines).toEqual([]);
    },
  },
  Attaching: {
    does: "attaches a tracepoint and a raw tracepoint program and sees this process's getppid calls",
    needs: ["root", "vmlinux-btf"],
    async run(example) {
      const { lines } = await runExample(example);
      expect(lines).toEqual([trailingComment(example, "console.log(`${links")]);
    },
  },
});
