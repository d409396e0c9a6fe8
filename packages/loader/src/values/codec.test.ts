import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Btf } from "@bpfkit/btf";
import { describe, expect, it } from "vitest";
import { LoaderError } from "../errors.js";
import { openObject } from "../object/open.js";
import { decodeValue, encodeValue, encodeValueInto, valueSize } from "./codec.js";

const fixtures = fileURLToPath(new URL("../../../../test/fixtures/", import.meta.url));

function open(file: string) {
  const spec = openObject(new Uint8Array(readFileSync(fixtures + file)), { path: file });
  const btf = Btf.parse(spec.btf!);
  const variable = (name: string) => {
    const v = spec.variables.find((x) => x.name === name)!;
    const map = spec.maps.find((m) => m.name === v.map)!;
    return { typeId: v.typeId, bytes: map.contents!.subarray(v.offset, v.offset + v.size) };
  };
  return { spec, btf, variable };
}

describe("typed value codec on clang's BTF", () => {
  for (const file of ["globals.bpf.o", "globals.bpfeb.o"]) {
    it(`decodes initial values of ${file} (ints, char array, bitfield struct)`, () => {
      const { btf, variable } = open(file);
      const little = file.endsWith(".bpf.o");
      const counter = variable("counter");
      expect(decodeValue(btf, counter.typeId, counter.bytes, little)).toBe(1);
      const name = variable("config_name");
      expect(decodeValue(btf, name.typeId, name.bytes, little)).toBe("bpfkit");
      const pair = variable("pair_value");
      expect(decodeValue(btf, pair.typeId, pair.bytes, little)).toEqual({ a: 1, b: 2, flags: 3, mode: 4, c: 5n });
      const zeroed = variable("zeroed");
      expect(decodeValue(btf, zeroed.typeId, new Uint8Array(zeroed.bytes.length), little)).toEqual([0n, 0n, 0n, 0n]);
    });

    it(`encodes back to clang's bytes exactly (${file})`, () => {
      const { btf, variable } = open(file);
      const little = file.endsWith(".bpf.o");
      const pair = variable("pair_value");
      const value = decodeValue(btf, pair.typeId, pair.bytes, little);
      // padding bytes are zero in clang's initializer, so the round trip is byte-identical
      expect(encodeValue(btf, pair.typeId, value, little)).toEqual(pair.bytes);
      const name = variable("config_name");
      expect(encodeValue(btf, name.typeId, "bpfkit", little)).toEqual(name.bytes);
    });
  }

  it("updates only the members given and keeps neighbouring bitfields", () => {
    const { btf, variable } = open("globals.bpf.o");
    const pair = variable("pair_value");
    const bytes = pair.bytes.slice();
    encodeValueInto(btf, pair.typeId, { mode: 31 }, bytes, true);
    expect(decodeValue(btf, pair.typeId, bytes, true)).toEqual({ a: 1, b: 2, flags: 3, mode: 31, c: 5n });
    encodeValueInto(btf, pair.typeId, { flags: 0, c: 2n ** 64n - 1n }, bytes, true);
    expect(decodeValue(btf, pair.typeId, bytes, true)).toEqual({ a: 1, b: 2, flags: 0, mode: 31, c: 2n ** 64n - 1n });
  });

  it("refuses values that do not fit, unknown members, short buffers and unsized types with LoaderError", () => {
    const { btf, variable } = open("globals.bpf.o");
    const pair = variable("pair_value");
    const counter = variable("counter");
    const bad = [
      () => encodeValue(btf, counter.typeId, 2 ** 31),
      () => encodeValue(btf, counter.typeId, 1.5),
      () => encodeValue(btf, counter.typeId, "x"),
      () => encodeValue(btf, pair.typeId, { nope: 1 }),
      () => encodeValue(btf, pair.typeId, { mode: 32 }),
      () => encodeValue(btf, variable("config_name").typeId, "a string longer than sixteen"),
      () => decodeValue(btf, pair.typeId, new Uint8Array(3)),
      () => valueSize(btf, btf.typeCount + 5),
    ];
    for (const f of bad) expect(f).toThrow(LoaderError);
    expect(encodeValue(btf, counter.typeId, -(2 ** 31))).toEqual(new Uint8Array([0, 0, 0, 0x80]));
  });

  it("decodes a map's BTF key and value types (xdp_parse proto_count: u32 → u64)", () => {
    const { spec, btf } = open("xdp_parse.bpf.o");
    const map = spec.maps.find((m) => m.name === "proto_count")!;
    expect(encodeValue(btf, map.btfKeyTypeId, 17)).toEqual(new Uint8Array([17, 0, 0, 0]));
    const value = new Uint8Array(8);
    value[0] = 3;
    expect(decodeValue(btf, map.btfValueTypeId, value)).toBe(3n);
  });

  it("fuzz: every type id of two objects, random bytes of random lengths, random values: only LoaderError", () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const samples = [1, -1, 2n ** 70n, "text", [1, 2], { a: 1 }, true, 0.5, undefined];
    for (const file of ["globals.bpf.o", "maps.bpf.o", "core_task.bpf.o"]) {
      const { btf } = open(file);
      for (let id = 0; id < btf.typeCount + 3; id++) {
        for (let round = 0; round < 4; round++) {
          const bytes = new Uint8Array(Math.floor(random() * 80));
          for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
          for (const f of [
            () => decodeValue(btf, id, bytes, round % 2 === 0),
            () => encodeValueInto(btf, id, samples[Math.floor(random() * samples.length)], bytes, round % 2 === 0),
          ]) {
            try {
              f();
            } catch (error) {
              expect(error).toBeInstanceOf(LoaderError);
            }
          }
        }
      }
    }
  });
});
