// The WebAssembly raw and JSON dumps must write exactly the bytes of the JavaScript dumpers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeWith } from "../../../../test/support/env.js";
import { fixtureObjects, fixtureSection, readVmlinux } from "../../test-support/fixtures.js";
import { Btf, BtfBuilder, BtfError, dumpBtfJsonBytes, dumpBtfRawBytes, IntEncoding } from "../btf-api.js";

function same(btf: Btf): void {
  for (const dump of [dumpBtfRawBytes, dumpBtfJsonBytes]) {
    const js = dump(btf, { engine: "js" });
    const auto = dump(btf);
    expect(Buffer.compare(Buffer.from(auto), Buffer.from(js))).toBe(0);
  }
}

describe("WebAssembly dumps = JavaScript dumps", () => {
  it("on every fixture", () => {
    for (const object of fixtureObjects()) same(Btf.parse(fixtureSection(object, ".BTF")!));
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
    same(btf);
    expect(new TextDecoder().decode(dumpBtfRawBytes(btf))).toContain("[7] TYPEDEF 'after' type_id=1\n");
  });

  it("on mutated fixture BTF that still parses (fixed seed)", () => {
    const source = fixtureSection("globals.bpf.o", ".BTF")!;
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
          same(btf);
        },
      ),
      { seed: 0xd0a9, numRuns: 500 },
    );
  });
});

describeWith(["vmlinux-btf"], "WebAssembly dumps on vmlinux", () => {
  it("write the same bytes as the JavaScript dumpers", () => same(Btf.parse(readVmlinux())));
});
