// Corrupt inputs: byte mutations of the link fixtures, linked with a good partner, give an object or a LinkError
// naming the mutated input - never another exception, never a hang.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LinkError, link } from "@bpfkit/linker";
import { describe, expect, it } from "vitest";
import { openMutated, seededRandom } from "./support/mutate.js";

const dir = fileURLToPath(new URL("./fixtures/link/", import.meta.url));
const bytesOf = (name: string) => new Uint8Array(readFileSync(`${dir}${name}.bpf.o`));

describe("linker on mutated objects", () => {
  it("every outcome is an object or a LinkError that names the input", () => {
    const rand = seededRandom(0x1badb002);
    const outcomes = { ok: 0, error: 0 };
    const partner = { name: "multi_a.bpf.o", bytes: bytesOf("multi_a") };
    for (const name of ["multi_b", "multi_c", "weak_b", "struct_ops_b"]) {
      const mutatedName = `${name}.bpf.o`;
      const run = (bytes: Uint8Array) => {
        try {
          return link([partner, { name: mutatedName, bytes }]);
        } catch (error) {
          if (error instanceof LinkError) expect([error.input, error.otherInput]).toContain(mutatedName);
          throw error;
        }
      };
      openMutated(name, bytesOf(name), rand, { rounds: 150, maxFlips: 8 }, run, LinkError, outcomes);
    }
    expect(outcomes.ok).toBeGreaterThan(50);
    expect(outcomes.error).toBeGreaterThan(100);
  });
});
