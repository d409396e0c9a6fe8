import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixtureSection } from "../test-support/fixtures.js";
import { Btf, BtfError, dumpBtfJson, dumpBtfRaw, encodeBtf, encodeBtfExt, parseBtfExt } from "./btf-api.js";

const SEED = 0x5eed_b7f;
// Small objects keep a few thousand runs fast; core_task adds CO-RE records to the .BTF.ext inputs.
const inputs = ["globals.bpf.o", "xdp_parse.bpf.o", "maps.bpf.o", "subprogs.bpfeb.o", "core_task.bpf.o"].map((o) => ({
  btf: fixtureSection(o, ".BTF")!,
  ext: fixtureSection(o, ".BTF.ext")!,
}));

/** A mutation: overwrite bytes, truncate, or splice a u32 somewhere (headers and vlen fields included). */
const mutation = fc.oneof(
  fc.record({ op: fc.constant("byte" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant("u32" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({ op: fc.constant("small" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat(), value: fc.constant(0) }),
);

type Mutation = { op: "byte" | "u32" | "small" | "truncate"; at: number; value: number };

function mutate(source: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = source.slice();
  for (const m of mutations) {
    if (bytes.length === 0) break;
    // Bias towards the header and the first records, where most fields that steer parsing live.
    const at = m.at % (m.at % 3 === 0 ? Math.min(bytes.length, 96) : bytes.length);
    if (m.op === "truncate") bytes = bytes.slice(0, at);
    else if (m.op === "byte") bytes[at] = m.value;
    else if (at + 4 <= bytes.length) new DataView(bytes.buffer).setUint32(at & ~3, m.value >>> 0, true);
  }
  return bytes;
}

function exercise(btf: Btf): void {
  const again = Btf.parse(encodeBtf(btf), { checkCycles: false });
  expect(again.typeCount).toBe(btf.typeCount);
  dumpBtfRaw(btf);
  dumpBtfJson(btf);
  for (let id = 0; id < btf.typeCount; id++) {
    for (const walk of [() => btf.resolveSize(id), () => btf.alignOf(id), () => btf.skipModsAndTypedefs(id)]) {
      try {
        walk();
      } catch (e) {
        if (!(e instanceof BtfError)) throw e;
      }
    }
    btf.type(id);
    if (id < 40 && btf.nameOf(id) !== "") expect(btf.findAllByName(btf.nameOf(id))).toContain(id);
  }
}

describe("fuzzed BTF: only BtfError, never a hang", () => {
  it(".BTF mutations", () => {
    fc.assert(
      fc.property(
        fc.nat(inputs.length - 2),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (which, mutations, cycles) => {
          const bytes = mutate(inputs[which].btf, mutations as Mutation[]);
          let btf: Btf;
          try {
            btf = Btf.parse(bytes, { checkCycles: cycles });
          } catch (e) {
            if (!(e instanceof BtfError)) throw e;
            return;
          }
          exercise(btf);
        },
      ),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it(".BTF.ext mutations", () => {
    fc.assert(
      fc.property(fc.nat(inputs.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
        const btf = Btf.parse(inputs[which].btf);
        const bytes = mutate(inputs[which].ext, mutations as Mutation[]);
        try {
          const ext = parseBtfExt(bytes, { btf });
          parseBtfExt(encodeBtfExt(ext));
        } catch (e) {
          if (!(e instanceof BtfError)) throw e;
        }
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});
