// Differential test of the two emitters of a whole C dump: the TypeScript one (emit.ts and friends, the
// reference) and the WebAssembly one (wasm/dump-c-emit.c). Both must write the same bytes, in the same chunks, on
// vmlinux, every fixture's BTF, split BTF and hand-made odd shapes; where the WebAssembly one gives up (malformed
// or odd input) the dump must end exactly like the TypeScript one: same bytes handed out, same BtfDumpError.
import { readdirSync, readFileSync } from "node:fs";
import { parseElf } from "@bpfkit/elf";
import { describe, expect, it } from "vitest";
import {
  addSameNamedStructs,
  mutatedBtfs,
  oddShapesBtf,
  RawBtfBuilder as RawBuilder,
  rebaseRawBtf,
} from "../../../../test/btf-dump-c-raw.js";
import { describeWith } from "../../../../test/support/env.js";
import { seededRandom } from "../../../../test/support/mutate.js";
import { NOT_RUN, watchWasm } from "../../test-support/wasm-outcome.js";
import { Btf } from "../btf.js";
import { BtfDumpError, type DumpCOptions, dumpBtfCBytes, dumpBtfCChunks, dumpBtfCTo } from "./index.js";

const INT = 1;
const PTR = 2;
const STRUCT = 4;
const ENUM = 6;
const TYPEDEF = 8;

const fixtureDir = new URL("../../../../test/fixtures/", import.meta.url);
const objects = readdirSync(fixtureDir)
  .filter((f) => f.endsWith(".o"))
  .sort();

function sectionOf(name: string): Uint8Array | undefined {
  return parseElf(new Uint8Array(readFileSync(new URL(name, fixtureDir)))).sectionByName(".BTF")?.data;
}

/** How a streamed dump ends: every piece handed to the sink (lengths and bytes), and the error if it failed. */
interface Outcome {
  pieces: number[];
  bytes: Buffer;
  error?: string;
}

function outcomeTo(btf: Btf, options: DumpCOptions): Outcome {
  const pieces: Buffer[] = [];
  let error: string | undefined;
  try {
    dumpBtfCTo(btf, (bytes) => pieces.push(Buffer.from(bytes)), options);
  } catch (err) {
    if (!(err instanceof BtfDumpError)) throw err;
    error = `${err.code} ${err.typeId}`;
  }
  return { pieces: pieces.map((p) => p.length), bytes: Buffer.concat(pieces), ...(error ? { error } : {}) };
}

function outcomeChunks(btf: Btf, options: DumpCOptions): Outcome {
  const pieces: Buffer[] = [];
  let error: string | undefined;
  try {
    for (const chunk of dumpBtfCChunks(btf, options)) pieces.push(Buffer.from(chunk));
  } catch (err) {
    if (!(err instanceof BtfDumpError)) throw err;
    error = `${err.code} ${err.typeId}`;
  }
  return { pieces: pieces.map((p) => p.length), bytes: Buffer.concat(pieces), ...(error ? { error } : {}) };
}

/** Buffers compared with equals: a deep equality over megabytes of elements takes a minute. */
function expectSameOutcome(actual: Outcome, expected: Outcome): void {
  expect(actual.error).toBe(expected.error);
  expect(actual.pieces).toEqual(expected.pieces);
  expect(actual.bytes.equals(expected.bytes)).toBe(true);
}

/** Both emitters, all three entry points: identical results. Returns how the WebAssembly run ended. */
function expectSameDump(btf: Btf, options: DumpCOptions = {}): string {
  const js = outcomeTo(btf, { ...options, engine: { order: "auto", emit: "js" } });
  const { value: wasm, wasm: ending } = watchWasm("c-dump", () =>
    outcomeTo(btf, { ...options, engine: { order: "auto", emit: "wasm" } }),
  );
  expectSameOutcome(wasm, js);
  expectSameOutcome(
    outcomeChunks(btf, { ...options, engine: { order: "auto", emit: "wasm" } }),
    outcomeChunks(btf, { ...options, engine: { order: "auto", emit: "js" } }),
  );
  if (js.error === undefined) {
    const whole = Buffer.from(dumpBtfCBytes(btf, { ...options, engine: { order: "auto", emit: "wasm" } }));
    expect(whole.equals(js.bytes)).toBe(true);
  }
  return ending;
}

describe("C dump emission: WebAssembly = TypeScript", () => {
  it("covers the committed fixtures", () => {
    expect(objects.length).toBeGreaterThanOrEqual(10);
  });
  for (const name of objects) {
    it(name, () => {
      // Every committed object has BTF worth dumping; a missing one is a broken fixture, not a skip.
      const section = sectionOf(name);
      if (section === undefined) throw new Error(`${name} has no .BTF`);
      const btf = Btf.parse(section);
      expect(btf.typeCount).toBeGreaterThan(2);
      // The WebAssembly emitter must really write the dump, not fall back to the reference.
      expect(expectSameDump(btf)).toBe("complete");
      expect(expectSameDump(btf, { pointerSize: 4, vmlinuxGuard: false })).toBe("complete");
    });
  }

  it("hand-made odd shapes (test/btf-dump-c-raw.ts)", () => {
    const btf = Btf.parse(oddShapesBtf());
    expect(expectSameDump(btf)).toBe("complete");
    expect(expectSameDump(btf, { pointerSize: 4 })).toBe("complete");
  });

  it("names counted past what one byte holds (name___300)", () => {
    const b = new RawBuilder();
    addSameNamedStructs(b, 300);
    for (let i = 0; i < 300; i++) b.add(ENUM, 1, 4, [b.name("RED"), i], b.name(`e${i}`));
    expect(expectSameDump(b.btf())).toBe("complete");
  });

  it("is the default for large BTF and not for small", () => {
    const section = sectionOf(objects[0]!)!;
    expect(watchWasm("c-dump", () => dumpBtfCBytes(Btf.parse(section))).wasm).toBe(NOT_RUN);
  });
});

describe("C dump emission: where WebAssembly gives up, the TypeScript dump decides", () => {
  /** 3000 typedefs with long names: more than 64 KiB of output before whatever comes next. */
  function withLongPrefix(): { b: RawBuilder; int: number } {
    const b = new RawBuilder();
    const int = b.add(INT, 0, 4, [32], b.name("int"));
    for (let i = 0; i < 3000; i++) b.add(TYPEDEF, 0, int, [], b.name(`typedef_number_${i}_with_a_long_name_t`));
    return { b, int };
  }

  it("a padding gap too large, after chunks were handed out (TOO_LARGE)", () => {
    const { b, int } = withLongPrefix();
    b.add(STRUCT, 1, 0x0ffffff0, [b.name("x"), int, 0], b.name("huge"));
    const btf = b.btf();
    expect(expectSameDump(btf)).toBe("too large");
    const js = outcomeTo(btf, { engine: { order: "auto", emit: "js" } });
    expect(js.error).toBe("TOO_LARGE 3002");
    expect(js.pieces.length).toBeGreaterThan(0);
  });

  it("a padding gap that fits TypeScript but not the output buffer", () => {
    const { b, int } = withLongPrefix();
    // 2^20 bits of padding: 16384 lines of `long: 64;`, about 200 KiB in one struct.
    b.add(STRUCT, 1, 1 << 17, [b.name("x"), int, 0], b.name("big"));
    b.add(STRUCT, 1, 4, [b.name("after"), int, 0], b.name("after"));
    expect(expectSameDump(b.btf())).toBe("complete");
    // 2^23 bits: 131072 padding lines, about 1.4 MiB in one struct; the module gives up, TypeScript writes it.
    const c = withLongPrefix();
    c.b.add(STRUCT, 1, 1 << 20, [c.b.name("x"), c.int, 0], c.b.name("bigger"));
    c.b.add(STRUCT, 1, 4, [c.b.name("after"), c.int, 0], c.b.name("after"));
    expect(expectSameDump(c.b.btf())).toBe("output full");
  });

  it("a renamed identifier past 255 bytes: cut when ASCII, left to TypeScript otherwise", () => {
    for (const length of [250, 251, 252, 253, 255, 256, 300]) {
      const b = new RawBuilder();
      const int = b.add(INT, 0, 4, [32], b.name("int"));
      const name = b.name("n".repeat(length));
      for (let i = 0; i < 12; i++) b.add(STRUCT, 1, 4, [b.name("x"), int, 0], name);
      expect(expectSameDump(b.btf())).toBe("complete");
    }
    const { b, int } = withLongPrefix();
    const name = b.name("\u00e9".repeat(130));
    b.add(STRUCT, 1, 4, [b.name("x"), int, 0], name);
    b.add(STRUCT, 1, 4, [b.name("y"), int, 0], name);
    expect(expectSameDump(b.btf())).toBe("long name");
  });

  it("a by-value cycle (TYPE_CYCLE, found by the ordering pass)", () => {
    const { b, int } = withLongPrefix();
    const loop = b.typeCount;
    b.add(STRUCT, 2, 8, [b.name("x"), int, 0, b.name("self"), loop, 32], b.name("loop"));
    expect(expectSameDump(b.btf())).toBe("order");
    expect(outcomeTo(b.btf(), {}).error).toBe(`TYPE_CYCLE ${loop}`);
  });

  it("a pointer chain deeper than the nesting limit (TOO_DEEP)", () => {
    const b = new RawBuilder();
    for (let id = 1; id <= 1500; id++) b.add(PTR, 0, id + 1, []);
    b.add(INT, 0, 4, [32], b.name("int"));
    expect(expectSameDump(b.btf())).toBe("order");
  });

  it("a struct member through a deep typedef chain (TOO_DEEP while writing)", () => {
    const { b, int } = withLongPrefix();
    // A chain of 1200 typedefs, each on the one before it (so ordering, id by id, never nests deeply); the
    // struct using the last one makes the alignment computation walk all of it.
    const first = b.typeCount;
    for (let i = 0; i < 1200; i++) b.add(TYPEDEF, 0, i === 0 ? int : first + i - 1, [], b.name(`t${i}`));
    b.add(STRUCT, 1, 4, [b.name("x"), first + 1199, 0], b.name("deep"));
    expect(expectSameDump(b.btf())).toBe("too deep");
    expect(outcomeTo(b.btf(), {}).error).toMatch(/^TOO_DEEP /);
  });

  it("corrupted fixture BTF: same bytes or the same error after the same output", () => {
    const random = seededRandom(0x1badb002);
    const endings = new Map<string, number>();
    for (const object of objects) {
      const original = sectionOf(object);
      if (!original) continue;
      for (const btf of mutatedBtfs(original, 60, random)) {
        if (btf.typeCount < 2) continue;
        const ending = expectSameDump(btf);
        endings.set(ending, (endings.get(ending) ?? 0) + 1);
      }
    }
    // A trap would be a bug in the module (masked by the fallback): there must be none.
    expect(endings.get("trap")).toBeUndefined();
    expect(endings.get("complete") ?? 0).toBeGreaterThan(100);
  });
});

describeWith(["vmlinux-btf"], "C dump emission of vmlinux: WebAssembly = TypeScript", () => {
  const vmlinux = () => Btf.parse(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));

  it("/sys/kernel/btf/vmlinux, byte for byte and chunk for chunk; auto takes WebAssembly", () => {
    const btf = vmlinux();
    expect(expectSameDump(btf)).toBe("complete");
    const { value: auto, wasm } = watchWasm("c-dump", () => outcomeTo(btf, {}));
    expect(wasm).toBe("complete");
    expectSameOutcome(auto, outcomeTo(btf, { engine: "js" }));
    expect(auto.bytes.length).toBeGreaterThan(1_000_000);
    expect(expectSameDump(btf, { pointerSize: 4 })).toBe("complete");
  });

  it("mutated vmlinux (1-4 bytes of its type section changed): same bytes or the same error", () => {
    const original = new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux"));
    const endings = new Map<string, number>();
    for (const btf of mutatedBtfs(original, 48, seededRandom(0x7e57ab1e))) {
      const ending = expectSameDump(btf);
      endings.set(ending, (endings.get(ending) ?? 0) + 1);
    }
    expect(endings.get("trap")).toBeUndefined();
    expect(endings.get("complete") ?? 0).toBeGreaterThanOrEqual(8);
  });

  it("vmlinux with names changed (1-4 bytes of its string section): same bytes", () => {
    const original = new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux"));
    let complete = 0;
    for (const btf of mutatedBtfs(original, 12, seededRandom(0x57a1e5), "strings")) {
      if (expectSameDump(btf) === "complete") complete++;
    }
    expect(complete).toBeGreaterThanOrEqual(8);
  });

  it("split BTF on vmlinux (a fixture's types rebased as a module would be)", () => {
    const base = vmlinux();
    const section = sectionOf("core_task.bpf.o")!;
    const split = Btf.parse(rebaseRawBtf(section, base.typeCount, base.strings.end), { base });
    expect(expectSameDump(split)).toBe("complete");
  });
});
