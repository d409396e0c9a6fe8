// Differential test of the two ordering implementations of a whole dump: the JavaScript pass (order.ts, the
// reference) and the WebAssembly plan (wasm/dump-c-order.c). Both must give the same bytes on vmlinux and on
// every fixture's BTF, and malformed graphs must end in the same BtfDumpError after the same partial output.
import { readdirSync, readFileSync } from "node:fs";
import { parseElf } from "@bpfkit/elf";
import { describe, expect, it } from "vitest";
import { RawBtfBuilder as RawBuilder } from "../../../../test/btf-dump-c-raw.js";
import { describeWith } from "../../../../test/support/env.js";
import { watchWasm } from "../../test-support/wasm-outcome.js";
import { Btf, type Engine } from "../btf.js";
import { planWholeDumpWasm } from "../wasm/dump-c-order.js";
import { BtfDumpError, dumpBtfCBytes, dumpBtfCChunks } from "./index.js";

const fixtureDir = new URL("../../../../test/fixtures/", import.meta.url);
const objects = readdirSync(fixtureDir)
  .filter((f) => f.endsWith(".o"))
  .sort();

function objectBtf(name: string): Btf | undefined {
  const elf = parseElf(new Uint8Array(readFileSync(new URL(name, fixtureDir))));
  const section = elf.sectionByName(".BTF");
  return section ? Btf.parse(section.data) : undefined;
}

/** Everything the dump writes before it ends, and how it ends (undefined, or the error's code and type id). */
function outcome(btf: Btf, ordering: Engine): { bytes: number[]; error?: string } {
  const bytes: number[] = [];
  try {
    for (const chunk of dumpBtfCChunks(btf, { engine: { order: ordering, emit: "js" } })) bytes.push(...chunk);
  } catch (err) {
    if (!(err instanceof BtfDumpError)) throw err;
    return { bytes, error: `${err.code} ${err.typeId}` };
  }
  return { bytes };
}

describe("C dump ordering: WebAssembly plan = JavaScript pass", () => {
  it("covers the committed fixtures", () => {
    expect(objects.length).toBeGreaterThanOrEqual(10);
  });
  for (const name of objects) {
    it(name, () => {
      const btf = objectBtf(name);
      if (btf === undefined) throw new Error(`${name} has no .BTF`); // a broken fixture, not a skip
      // The plan must really be taken for this object, not fall back to the reference.
      expect(planWholeDumpWasm(btf.words, btf.flat().starts)).toBeDefined();
      // ...and by the dump itself (the TypeScript pass would give the same bytes).
      const { value: wasm, wasm: plan } = watchWasm("c-order", () =>
        dumpBtfCBytes(btf, { engine: { order: "wasm", emit: "js" } }),
      );
      expect(plan).toBe("complete");
      const js = dumpBtfCBytes(btf, { engine: "js" });
      expect(wasm.length).toBeGreaterThan(0);
      expect(Buffer.from(wasm).equals(Buffer.from(js))).toBe(true);
    });
  }

  it("gives up on a by-value cycle, and the dump fails exactly like the JavaScript pass", () => {
    const b = new RawBuilder();
    const int = b.add(1, 0, 4, [32], b.name("int"));
    b.add(4, 1, 4, [b.name("a"), int, 0], b.name("fine"));
    // id 3: struct loop { int x; struct loop self; }
    b.add(4, 2, 8, [b.name("x"), int, 0, b.name("self"), 3, 32], b.name("loop"));
    const btf = b.btf();
    expect(planWholeDumpWasm(btf.words, btf.flat().starts)).toBeUndefined();
    const { value: wasm, wasm: plan } = watchWasm("c-order", () => outcome(btf, "wasm"));
    expect(plan).toBe("gave up at 3");
    expect(wasm.error).toBe("TYPE_CYCLE 3");
    expect(wasm).toEqual(outcome(btf, "js"));
  });

  it("gives up on a pointer chain deeper than the nesting limit, like the JavaScript pass", () => {
    const b = new RawBuilder();
    // Ids 1..1500 are pointers, each to the next id; the int at the end comes last, so the walk from id 1 nests.
    for (let id = 1; id <= 1500; id++) b.add(2, 0, id + 1, []);
    b.add(1, 0, 4, [32], b.name("int"));
    const btf = b.btf();
    expect(planWholeDumpWasm(btf.words, btf.flat().starts)).toBeUndefined();
    const { value: wasm, wasm: plan } = watchWasm("c-order", () => outcome(btf, "wasm"));
    expect(plan).toBe("gave up at 1");
    expect(wasm.error).toMatch(/^TOO_DEEP /);
    expect(wasm).toEqual(outcome(btf, "js"));
  });
});

describeWith(["vmlinux-btf"], "C dump ordering of vmlinux: WebAssembly plan = JavaScript pass", () => {
  it("/sys/kernel/btf/vmlinux, both implementations byte for byte, and auto takes WebAssembly", () => {
    const btf = Btf.parse(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));
    const plan = planWholeDumpWasm(btf.words, btf.flat().starts);
    expect(plan).toBeDefined();
    expect(plan?.ends[btf.typeCount - 1]).toBeGreaterThan(10_000);
    const { value: wasm, wasm: planned } = watchWasm("c-order", () =>
      dumpBtfCBytes(btf, { engine: { order: "wasm", emit: "js" } }),
    );
    expect(planned).toBe("complete");
    const js = dumpBtfCBytes(btf, { engine: "js" });
    expect(wasm.length).toBeGreaterThan(1_000_000);
    expect(Buffer.from(wasm).equals(Buffer.from(js))).toBe(true);
    // auto on vmlinux: the whole dump in WebAssembly (dump-c-emit.c runs the same ordering pass itself).
    const auto = watchWasm("c-dump", () => dumpBtfCBytes(btf));
    expect(auto.wasm).toBe("complete");
    expect(Buffer.from(auto.value).equals(Buffer.from(js))).toBe(true);
  });
});
