// The WebAssembly raw and JSON dumps must write exactly the bytes of the JavaScript dumpers. Where the module
// gives up the JavaScript dumper writes instead, so the tests also check how the WebAssembly dump ended.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeWith } from "../../../../test/support/env.js";
import { fixtureObjects, fixtureSection, readVmlinux } from "../../test-support/fixtures.js";
import { NOT_RUN, watchWasm } from "../../test-support/wasm-outcome.js";
import { Btf, BtfBuilder, BtfError, dumpBtfJsonBytes, dumpBtfRawBytes, IntEncoding } from "../btf-api.js";

/**
 * Both dumps of `btf` by both engines: the same bytes. Returns how the WebAssembly dump ended, per format
 * ("complete", or how many types the JavaScript dumper wrote in between).
 */
function same(btf: Btf): { raw: string; json: string } {
  const endings: string[] = [];
  for (const dump of [dumpBtfRawBytes, dumpBtfJsonBytes]) {
    const js = watchWasm("dump", () => dump(btf, { engine: "js" }));
    expect(js.wasm).toBe(NOT_RUN);
    const auto = watchWasm("dump", () => dump(btf));
    expect(Buffer.compare(Buffer.from(auto.value), Buffer.from(js.value))).toBe(0);
    endings.push(auto.wasm);
  }
  return { raw: endings[0]!, json: endings[1]! };
}

describe("WebAssembly dumps = JavaScript dumps", () => {
  it("on every fixture", () => {
    const objects = fixtureObjects();
    expect(objects.length).toBeGreaterThanOrEqual(10);
    for (const object of objects) {
      const btf = Btf.parse(fixtureSection(object, ".BTF")!);
      expect(same(btf), object).toEqual({ raw: "complete", json: "complete" });
    }
  });

  it("with types too large for its buffer (written by the JavaScript fallback in between)", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, IntEncoding.SIGNED);
    b.addStruct("small", 4, [{ name: "a", type: int, bitOffset: 0 }]);
    const members = Array.from({ length: 9000 }, (_, i) => ({ name: `m${i}`, type: int, bitOffset: i * 32 }));
    b.addStruct("huge", 9000 * 4, members);
    b.addStruct(`long_${"x".repeat(3000)}`, 4, [{ name: "y".repeat(3000), type: int, bitOffset: 0 }]);
    // Names bpftool's JSON writer escapes.
    b.addTypedef("quote'back\\slash\"tab\t", int);
    b.addDatasec(".data", 4, [{ type: 0, offset: 0, size: 4 }]);
    b.addTypedef("after", int);
    const btf = b.build();
    // Only "huge" needs more than the buffer holds (its 9000 members with names up to 3000 bytes long).
    const fallback = "complete, 1 by the fallback";
    expect(same(btf)).toEqual({ raw: fallback, json: fallback });
    expect(new TextDecoder().decode(dumpBtfRawBytes(btf))).toContain("[7] TYPEDEF 'after' type_id=1\n");
  });

  it("on mutated fixture BTF that still parses (fixed seed)", () => {
    const source = fixtureSection("globals.bpf.o", ".BTF")!;
    let parsed = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 0xffffffff }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        (edits) => {
          const bytes = source.slice();
          const view = new DataView(bytes.buffer);
          for (const e of edits)
            view.setUint32(
              24 + ((e.at % (source.length - 28)) & ~3),
              e.value % 7 === 0 ? e.value : e.value % 300,
              true,
            );
          let btf: Btf;
          try {
            btf = Btf.parse(bytes, { checkCycles: false });
          } catch (e) {
            if (e instanceof BtfError) return;
            throw e;
          }
          parsed++;
          // Small types with short names: every one fits the module's buffer.
          expect(same(btf)).toEqual({ raw: "complete", json: "complete" });
        },
      ),
      { seed: 0xd0a9, numRuns: 500 },
    );
    expect(parsed).toBeGreaterThan(250);
  });
});

describeWith(["vmlinux-btf"], "WebAssembly dumps on vmlinux", () => {
  it("write the same bytes as the JavaScript dumpers", () => {
    expect(same(Btf.parse(readVmlinux()))).toEqual({ raw: "complete", json: "complete" });
  });
});
