// Released WebAssembly memories are reused by the next user that asks (the scan hands its memory to the C dump's
// plan). A reused memory still holds its last user's bytes: every user must come out exactly as on a fresh one.
import { describe, expect, it } from "vitest";
import { RawBtfBuilder as RawBuilder } from "../../../../test/btf-dump-c-raw.js";
import { fixtureSection } from "../../test-support/fixtures.js";
import { Btf, BtfBuilder, BtfError } from "../btf-api.js";
import { dumpBtfCBytes } from "../dump-c/index.js";
import { instantiate, PAGE, releaseMemory, type WasmMemory } from "./instance.js";
import { SCAN_WASM_BASE64 } from "./scan.generated.js";

const { Memory } = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => WasmMemory };
  }
).WebAssembly;

/** Releases a memory of `pages` pages filled with `fill`, as a stand-in for a previous user's leftovers. */
function releaseDirty(pages: number, fill = 0xa5): WasmMemory {
  const memory = new Memory({ initial: pages, maximum: pages });
  new Uint8Array(memory.buffer).fill(fill);
  releaseMemory(memory);
  return memory;
}

function scanOutcome(
  bytes: Uint8Array,
  engine: "js" | "wasm",
): { starts?: number[]; words?: number[]; error?: string } {
  try {
    const btf = Btf.parse(bytes, { engine });
    return { starts: Array.from(btf.starts), words: Array.from(btf.words) };
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    return { error: `${e.code} ${e.typeId} ${e.offset}` };
  }
}

describe("WebAssembly memory reuse", () => {
  it("hands a released memory to the next instantiate that asks for reuse and fits in it", () => {
    const memory = releaseDirty(4);
    expect(instantiate(SCAN_WASM_BASE64, PAGE, false)?.memory).not.toBe(memory);
    // Too small for 8 pages: a fresh one.
    expect(instantiate(SCAN_WASM_BASE64, 8 * PAGE, true)?.memory).not.toBe(memory);
    expect(instantiate(SCAN_WASM_BASE64, PAGE, true)?.memory).toBe(memory);
    // Taken: a second user gets a fresh one.
    expect(instantiate(SCAN_WASM_BASE64, PAGE, true)?.memory).not.toBe(memory);
  });

  it("never grows a memory, so no ArrayBuffer is ever detached (which slows every typed array in V8)", () => {
    const small = new Memory({ initial: 4, maximum: 64 }); // growable, but must not be grown
    releaseMemory(small);
    const buffer = small.buffer;
    const fresh = instantiate(SCAN_WASM_BASE64, 8 * PAGE, true)?.memory;
    expect(fresh).not.toBe(small);
    expect(buffer.byteLength).toBe(4 * PAGE); // a grown memory's old buffer reads 0 here
    // A memory made for reuse has room for a next user that needs more: the C dump after the scan.
    const freshBuffer = fresh!.buffer;
    releaseMemory(fresh!);
    expect(instantiate(SCAN_WASM_BASE64, 3 * 9 * PAGE, true)?.memory).toBe(fresh);
    expect(freshBuffer.byteLength).toBeGreaterThanOrEqual(3 * 9 * PAGE);
    expect(fresh!.buffer).toBe(freshBuffer);
  });

  it("scans in a dirty memory exactly as the JavaScript scan, and the Btf reads the caller's bytes", () => {
    for (const o of ["globals.bpf.o", "core_task.bpf.o", "maps.bpf.o"]) {
      const bytes = fixtureSection(o, ".BTF")!.slice();
      releaseDirty(64);
      expect(scanOutcome(bytes, "wasm")).toEqual(scanOutcome(bytes, "js"));
      releaseDirty(64);
      expect(Btf.parse(bytes, { engine: "wasm" }).words.buffer).toBe(bytes.buffer);
    }
  });

  it("finds a reference cycle in a dirty memory (the cycle check's state starts cleared)", () => {
    const b = new BtfBuilder();
    b.addInt("int", 4, 1);
    b.addTypedef("t", 3);
    b.addConst(2);
    releaseDirty(64, 0x01);
    expect(scanOutcome(b.encode(), "wasm")).toEqual(scanOutcome(b.encode(), "js"));
    releaseDirty(64, 0x02);
    expect(scanOutcome(b.encode(), "wasm").error).toMatch(/^CYCLE/);
  });

  it("plans a C dump in a dirty memory exactly as the JavaScript ordering", () => {
    for (const o of ["globals.bpf.o", "core_task.bpf.o", "maps.bpf.o"]) {
      const btf = Btf.parse(fixtureSection(o, ".BTF")!);
      const js = dumpBtfCBytes(btf, { engine: "js" });
      for (const fill of [0x00, 0x01, 0x02, 0xff]) {
        releaseDirty(64, fill);
        expect(Buffer.from(dumpBtfCBytes(btf, { engine: { order: "wasm", emit: "js" } })).equals(Buffer.from(js))).toBe(
          true,
        );
      }
    }
  });

  it("gives the memory back when the plan gives up, and the dump fails like the JavaScript pass", () => {
    const b = new RawBuilder();
    const int = b.add(1, 0, 4, [32], b.name("int"));
    b.add(4, 2, 8, [b.name("x"), int, 0, b.name("self"), 2, 32], b.name("loop"));
    releaseDirty(64);
    expect(() => dumpBtfCBytes(b.btf(), { engine: { order: "wasm", emit: "js" } })).toThrow(/cycle/);
  });
});
