// The WebAssembly scan must accept and reject exactly what the JavaScript scan does, with the same index.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeWith } from "../../../../test/support/env.js";
import { fixtureSection, readVmlinux } from "../../test-support/fixtures.js";
import { Btf, BtfBuilder, BtfError } from "../btf-api.js";

function outcome(bytes: Uint8Array, scanner: "js" | "wasm"): { starts?: number[]; error?: string } {
  try {
    const btf = Btf.parse(bytes, { scanner });
    return { starts: Array.from(btf.starts) };
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    return { error: `${e.code} ${e.typeId} ${e.offset}` };
  }
}

describe("WebAssembly scan agrees with the JavaScript scan", () => {
  it("on every small fixture", () => {
    for (const o of ["globals.bpf.o", "core_task.bpf.o", "maps.bpf.o", "externs.bpf.o"]) {
      const bytes = fixtureSection(o, ".BTF")!;
      const js = Btf.parse(bytes, { scanner: "js" });
      const wasm = Btf.parse(bytes, { scanner: "wasm" });
      expect(Array.from(wasm.starts)).toEqual(Array.from(js.starts));
      expect(Array.from(wasm.words)).toEqual(Array.from(js.words));
    }
  });

  it("reports cycles with the same error", () => {
    const b = new BtfBuilder();
    b.addInt("int", 4, 1);
    b.addTypedef("t", 3);
    b.addConst(2);
    expect(outcome(b.encode(), "wasm")).toEqual(outcome(b.encode(), "js"));
    expect(outcome(b.encode(), "wasm").error).toMatch(/^CYCLE/);
  });

  it("on mutated fixture BTF (fixed seed)", () => {
    const source = fixtureSection("core_task.bpf.o", ".BTF")!;
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(source.length - 1), value: fc.integer({ min: 0, max: 0xffffffff }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        (edits) => {
          const bytes = source.slice();
          const view = new DataView(bytes.buffer);
          for (const e of edits) {
            // Mostly inside the type section, where the scan's decisions are.
            const at = 24 + ((e.at % (source.length - 28)) & ~3);
            view.setUint32(at, e.value % 3 === 0 ? e.value : view.getUint32(at, true) ^ (1 << (e.value % 32)), true);
          }
          expect(outcome(bytes, "wasm")).toEqual(outcome(bytes, "js"));
        },
      ),
      { seed: 0xb7f5ca, numRuns: 400 },
    );
  });
});

describeWith(["vmlinux-btf"], "WebAssembly scan on vmlinux", () => {
  it("is the default for vmlinux and gives the JavaScript index", () => {
    const bytes = readVmlinux();
    const auto = Btf.parse(bytes);
    const js = Btf.parse(bytes, { scanner: "js" });
    expect(auto.typeCount).toBe(js.typeCount);
    expect(
      Buffer.compare(
        Buffer.from(auto.starts.buffer, auto.starts.byteOffset, auto.starts.byteLength),
        Buffer.from(js.starts.buffer, js.starts.byteOffset, js.starts.byteLength),
      ),
    ).toBe(0);
  });

  it("hashes vmlinux names in WebAssembly into an index that finds exactly the right ids", () => {
    const btf = Btf.parse(readVmlinux());
    const byName = new Map<string, number[]>();
    for (let id = 1; id < btf.typeCount; id++) {
      const name = btf.nameOf(id);
      if (name === "") continue;
      const ids = byName.get(name);
      if (ids) ids.push(id);
      else byName.set(name, [id]);
    }
    let checked = 0;
    for (const [name, ids] of byName) {
      if (checked++ % 7 !== 0) continue;
      expect(btf.findAllByName(name)).toEqual(ids);
    }
    expect(btf.findAllByName("no_such_name_in_vmlinux_at_all")).toEqual([]);
  });
});
