// Runs the "Loading an object file" example of packages/kernel/README.md as written.
import { expect, it } from "vitest";
import { describeWith } from "./support/env.js";
import { readmeExample, runExample } from "./support/readme.js";

describeWith(["root", "vmlinux-btf"], "packages/kernel/README.md: Loading an object file", () => {
  it("the example runs: drops UDP, counts it typed, reads the .bss global, leaks no descriptor", async () => {
    const example = readmeExample("packages/kernel/README.md", "## Loading an object file");
    expect(example.split("\n").length).toBeLessThan(26);
    const printed = await runExample(example);
    expect(printed).toEqual(["verdict 1", "UDP packets: 10", "packets seen: 10"]);
  });
});
