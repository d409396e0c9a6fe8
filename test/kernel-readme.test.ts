// Runs the first example of packages/kernel/README.md as written, so the documentation cannot rot.
import { expect, it } from "vitest";
import { describeWith } from "./support/env.js";
import { readmeExample, runExample } from "./support/readme.js";

describeWith(["root"], "packages/kernel/README.md", () => {
  it("the example runs, counts 1000 packets and leaks no descriptor", async () => {
    const printed = await runExample(readmeExample("packages/kernel/README.md"));
    expect(printed[0]).toMatch(/^retval 2, \d+ ns per run, counter 1000$/);
    expect(printed[1]).toMatch(/^prog id \d+ "count_packets" tag [0-9a-f]{16}, maps \d+$/);
  });
});
