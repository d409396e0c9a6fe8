// The WebAssembly scan must accept and reject exactly what the JavaScript scan does, with the same index. Where
// it gives up the JavaScript scan answers instead, so every test also checks how the WebAssembly scan ended.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeWith } from "../../../../test/support/env.js";
import { fixtureSection, readVmlinux } from "../../test-support/fixtures.js";
import { NOT_RUN, watchWasm } from "../../test-support/wasm-outcome.js";
import { Btf, BtfBuilder, BtfError } from "../btf-api.js";

interface Outcome {
  starts?: number[];
  error?: string;
}

function outcome(bytes: Uint8Array, engine: "js" | "wasm"): Outcome {
  try {
    const btf = Btf.parse(bytes, { engine });
    return { starts: Array.from(btf.starts) };
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    return { error: `${e.code} ${e.typeId} ${e.offset}` };
  }
}

/** The forced WebAssembly parse, and how the WebAssembly scan ended in it. */
function wasmOutcome(bytes: Uint8Array): { value: Outcome; wasm: string } {
  return watchWasm("scan", () => outcome(bytes, "wasm"));
}

describe("WebAssembly scan agrees with the JavaScript scan", () => {
  it("on every small fixture", () => {
    for (const o of ["globals.bpf.o", "core_task.bpf.o", "maps.bpf.o", "externs.bpf.o"]) {
      const bytes = fixtureSection(o, ".BTF")!;
      const js = watchWasm("scan", () => Btf.parse(bytes, { engine: "js" }));
      expect(js.wasm, o).toBe(NOT_RUN);
      const wasm = watchWasm("scan", () => Btf.parse(bytes, { engine: "wasm" }));
      expect(wasm.wasm, o).toBe("complete");
      expect(Array.from(wasm.value.starts)).toEqual(Array.from(js.value.starts));
      expect(Array.from(wasm.value.words)).toEqual(Array.from(js.value.words));
    }
  });

  it("reports cycles with the same error", () => {
    const b = new BtfBuilder();
    b.addInt("int", 4, 1);
    b.addTypedef("t", 3);
    b.addConst(2);
    const wasm = wasmOutcome(b.encode());
    expect(wasm.wasm).toBe("cycle");
    expect(wasm.value).toEqual(outcome(b.encode(), "js"));
    expect(wasm.value.error).toMatch(/^CYCLE/);
  });

  it("on mutated fixture BTF (fixed seed)", () => {
    const source = fixtureSection("core_task.bpf.o", ".BTF")!;
    const endings = new Map<string, number>();
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
          const js = outcome(bytes, "js");
          const wasm = wasmOutcome(bytes);
          expect(wasm.value).toEqual(js);
          // Whatever the JavaScript scan accepts, the WebAssembly one must have indexed itself; it gives up only on
          // what the JavaScript scan rejects (or is never reached when the header or strings are refused first).
          if (js.error === undefined) expect(wasm.wasm).toBe("complete");
          else if (js.error.startsWith("CYCLE ")) expect(wasm.wasm).toBe("cycle");
          else expect(["malformed", NOT_RUN]).toContain(wasm.wasm);
          endings.set(wasm.wasm, (endings.get(wasm.wasm) ?? 0) + 1);
        },
      ),
      { seed: 0xb7f5ca, numRuns: 400 },
    );
    // Both sides of the differential are exercised.
    expect(endings.get("complete") ?? 0).toBeGreaterThan(100);
    expect(endings.get("malformed") ?? 0).toBeGreaterThan(100);
  });

  it("hashes the names of a large base BTF in WebAssembly into an index that finds exactly the right ids", () => {
    // 6000 types, past the size where the name index is built in WebAssembly; names repeat every 1000 ids.
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, 1);
    for (let i = 0; i < 6000; i++) b.addTypedef(`t${i % 1000}`, int);
    const btf = Btf.parse(b.encode());
    const { value, wasm } = watchWasm("names", () => btf.findAllByName("t7"));
    expect(wasm).toBe("complete");
    expect(value).toEqual([9, 1009, 2009, 3009, 4009, 5009]);
    for (let n = 0; n < 1000; n += 37) {
      expect(btf.findAllByName(`t${n}`)).toEqual(Array.from({ length: 6 }, (_, k) => 2 + n + 1000 * k));
    }
    expect(btf.findAllByName("int")).toEqual([int]);
    expect(btf.findAllByName("t1000")).toEqual([]);
  });
});

describeWith(["vmlinux-btf"], "WebAssembly scan on vmlinux", () => {
  it("is the default for vmlinux and gives the JavaScript index", () => {
    const bytes = readVmlinux();
    const parsed = watchWasm("scan", () => Btf.parse(bytes));
    expect(parsed.wasm).toBe("complete");
    const auto = parsed.value;
    const js = Btf.parse(bytes, { engine: "js" });
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
    // The first lookup builds the index, in WebAssembly for a base BTF this large.
    expect(watchWasm("names", () => btf.findAllByName("task_struct")).wasm).toBe("complete");
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
