// Every ts example of packages/loader/README.md, run as written; what it prints is checked against what the README
// claims in its comments.
import { expect } from "vitest";
import { describeReadme, type ReadmeExample, runExample, trailingComment } from "./support/readme.js";

/** The `// prog ...` and `// map ...` lines the example claims it prints, without trailing "  (notes)". */
function claimedLines(example: ReadmeExample): string[] {
  return [...example.code.matchAll(/^\/\/ ((?:prog|map) .*?)(?:\s{2}\(.*)?$/gm)].map((m) => m[1]!.trim());
}

describeReadme("packages/loader/README.md", {
  Example: {
    does: "lists programs and maps of globals.bpf.o and sets a .rodata variable",
    async run(example) {
      const { lines } = await runExample(example);
      const claimed = claimedLines(example);
      expect(claimed.length).toBeGreaterThanOrEqual(3);
      for (const line of claimed) expect(lines).toContain(line);
      // node prints the length, `Uint8Array(4) [ ... ]`, where the README leaves it out.
      expect(lines.at(-1)).toBe("Uint8Array(4) [ 100, 0, 0, 0 ]");
      expect(lines.at(-1)!.replace(/^Uint8Array\(\d+\)/, "Uint8Array")).toBe(
        trailingComment(example, "console.log(variableBytes"),
      );
    },
  },
  "Example (2)": {
    does: "loads the edited spec into the kernel and runs a program (continuing the first example)",
    needs: ["root", "vmlinux-btf"],
    async run(example) {
      // It uses `spec` and `readFileSync` from the block above, so both run as one file. It prints nothing itself:
      // the postlude shows its `retval`, 0 because the 64-byte packet is not longer than config_threshold, which
      // the first block set to 100 (the object's default, 10, would give 1).
      const { lines } = await runExample(example, { after: ["Example"], postlude: 'console.log("retval", retval);' });
      expect(lines.at(-2)).toBe("Uint8Array(4) [ 100, 0, 0, 0 ]");
      expect(lines.at(-1)).toBe("retval 0");
    },
  },
});
