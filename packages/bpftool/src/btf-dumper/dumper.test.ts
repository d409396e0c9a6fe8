// The BTF value formatter against what bpftool 7.1.0 prints for the same types and bytes (the expectations were
// read off `bpftool map dump` of test/fixtures/bpftool_maps.bpf.o; test/bpftool-map.test.ts compares live).
import { Btf, BtfBuilder, IntEncoding, Linkage } from "@bpfkit/btf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonWriter } from "../json-writer.js";
import { formatBtfValue } from "./index.js";

function format(btf: Btf, id: number, bytes: number[] | Uint8Array, plainText = false, pretty = false) {
  const w = new JsonWriter(pretty);
  const ret = formatBtfValue(w, btf, id, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), { plainText });
  return { text: w.take(), ret };
}

const le = (value: bigint, size: number) => {
  const out: number[] = [];
  for (let i = 0; i < size; i++) out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return out;
};

describe("formatBtfValue", () => {
  const b = new BtfBuilder();
  const u8 = b.addInt("unsigned char", 1);
  const s8 = b.addInt("signed char", 1, IntEncoding.SIGNED);
  const char = b.addInt("char", 1, IntEncoding.SIGNED);
  const u16 = b.addInt("unsigned short", 2);
  const s16 = b.addInt("short", 2, IntEncoding.SIGNED);
  const u32 = b.addInt("unsigned int", 4);
  const s32 = b.addInt("int", 4, IntEncoding.SIGNED);
  const u64 = b.addInt("unsigned long long", 8);
  const s64 = b.addInt("long long", 8, IntEncoding.SIGNED);
  const u128 = b.addInt("unsigned __int128", 16);
  const bool = b.addInt("_Bool", 1, IntEncoding.BOOL);
  const cchar = b.addInt("cchar", 1, IntEncoding.CHAR);
  const int24 = b.addInt("int24", 4, 0, 24);
  const idx = b.addInt("__ARRAY_SIZE_TYPE__", 4);
  const comm = b.addArray(char, idx, 8);
  const raw = b.addArray(u8, idx, 3);
  const empty = b.addArray(u8, idx, 0);
  const color = b.addEnum("color", 4, [
    { name: "RED", value: 0 },
    { name: "BLUE", value: 7 },
  ]);
  const big = b.addEnum64("big", 8, [{ name: "HUGE", value: 0x100000000n }]);
  const ptr = b.addPtr(0);
  const flt = b.addFloat("float", 4);
  const typedef = b.addTypedef("u32_t", b.addConst(u32));
  const bits = b.addStruct("bits", 4, [
    { name: "a", type: u32, bitOffset: 0, bitfieldSize: 3 },
    { name: "b", type: u32, bitOffset: 3, bitfieldSize: 5 },
    { name: "c", type: s32, bitOffset: 8, bitfieldSize: 12 },
  ]);
  const withFloat = b.addStruct("wf", 8, [
    { name: "id", type: u32, bitOffset: 0 },
    { name: "ratio", type: flt, bitOffset: 32 },
    { name: "after", type: u32, bitOffset: 32 },
  ]);
  const anon = b.addUnion("", 4, [
    { name: "as_int", type: u32, bitOffset: 0 },
    { name: "as_bytes", type: b.addArray(u8, idx, 4), bitOffset: 0 },
  ]);
  const fwd = b.addFwd("later");
  const counter = b.addVar("counter", s32, Linkage.GLOBAL);
  const name = b.addVar("name", comm, Linkage.GLOBAL);
  const sec = b.addDatasec(".data", 12, [
    { type: counter, offset: 0, size: 4 },
    { type: name, offset: 4, size: 8 },
  ]);
  const btf = Btf.parse(b.encode());

  it("prints integers of each width and signedness as bpftool's printf formats do", () => {
    expect(format(btf, u8, [200]).text).toBe("200");
    expect(format(btf, s8, [200]).text).toBe("-56");
    expect(format(btf, u16, [0xc1, 0xe6]).text).toBe("59073");
    expect(format(btf, s16, [0xc1, 0xe6]).text).toBe("-6463");
    expect(format(btf, u32, [0xff, 0xff, 0xff, 0xff]).text).toBe("4294967295");
    expect(format(btf, s32, [0xff, 0xff, 0xff, 0xff]).text).toBe("-1");
    expect(format(btf, u64, le(0x8e37a1d3b4c2d1e0n, 8)).text).toBe("10247837407747690976");
    expect(format(btf, s64, le(0xffffffffffffffffn, 8)).text).toBe("-1");
    expect(format(btf, typedef, [7, 0, 0, 0]).text).toBe("7");
  });

  it("prints 64-bit integers with the exact digits on both sides of 2^53 (the double fast path and the bigint one)", () => {
    const edges = [
      0n,
      1n,
      (1n << 53n) - 1n,
      1n << 53n,
      (1n << 53n) + 1n,
      (1n << 64n) - 1n,
      (1n << 63n) - 1n,
      1n << 63n,
    ];
    const negatives = edges.map((v) => (1n << 64n) - v).filter((v) => v < 1n << 64n);
    const values = fc.sample(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), 300).concat(edges, negatives);
    for (const value of values) {
      expect(format(btf, u64, le(value, 8)).text).toBe(value.toString());
      expect(format(btf, s64, le(value, 8)).text).toBe(BigInt.asIntN(64, value).toString());
    }
  });

  it("prints 128-bit integers and bitfields as hex, quoted in JSON and bare in plain text", () => {
    const v = le(0x704b2601dcb7926d4823fed9b48f6a45n, 16);
    expect(format(btf, u128, v).text).toBe('"0x704b2601dcb7926d4823fed9b48f6a45"');
    expect(format(btf, u128, v, true).text).toBe("0x704b2601dcb7926d4823fed9b48f6a45");
    expect(format(btf, u128, le(5n, 16)).text).toBe('"0x5"');
    expect(format(btf, u128, le(1n << 64n, 16)).text).toBe('"0x10000000000000000"');
    // a=0b101, b=0b10011, c=0xfed
    const word = 0b101 | (0b10011 << 3) | (0xfed << 8);
    expect(format(btf, bits, le(BigInt(word), 4)).text).toBe('{"a":"0x5","b":"0x13","c":"0xfed"}');
    expect(format(btf, bits, le(BigInt(word), 4), true).text).toBe('{"a":0x5,"b":0x13,"c":0xfed}');
    expect(format(btf, int24, [1, 2, 3, 4]).text).toBe('"0x30201"');
  });

  it("prints bools, chars, strings and byte arrays", () => {
    expect(format(btf, bool, [2]).text).toBe("true");
    expect(format(btf, bool, [0]).text).toBe("false");
    expect(format(btf, cchar, [0x41]).text).toBe('"A"');
    expect(format(btf, cchar, [0x07]).text).toBe('"\\u0007"');
    expect(format(btf, cchar, [0x07], true).text).toBe("0x7");
    expect(format(btf, comm, [0x6d, 0x61, 0x70, 0, 0x99, 0, 0, 0]).text).toBe('"map"');
    // no NUL in the array, or an unprintable byte first: an array of numbers (char is signed)
    expect(format(btf, comm, [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68]).text).toBe(
      "[97,98,99,100,101,102,103,104]",
    );
    expect(format(btf, comm, [0x80, 0, 0, 0, 0, 0, 0, 0]).text).toBe("[-128,0,0,0,0,0,0,0]");
    expect(format(btf, comm, [0, 0, 0, 0, 0, 0, 0, 0]).text).toBe('""');
    expect(format(btf, raw, [1, 0, 3]).text).toBe("[1,0,3]"); // unsigned char is not a string
    expect(format(btf, empty, []).text).toBe("[]");
  });

  it("names enum values and prints others as signed numbers", () => {
    expect(format(btf, color, [7, 0, 0, 0]).text).toBe('"BLUE"');
    expect(format(btf, color, [0xcd, 0xcc, 0x17, 0xbc]).text).toBe("-1139290931");
    expect(format(btf, big, le(0x100000000n, 8)).text).toBe('"HUGE"');
    expect(format(btf, big, le(0xf8d3a9f2c8e1a4f5n, 8)).text).toBe("-516882672000064267");
  });

  it("prints pointers as numbers in JSON and as %p in plain text", () => {
    const v = le(0x10ebc6a17c57320dn, 8);
    expect(format(btf, ptr, v).text).toBe("1219286521011974669");
    expect(format(btf, ptr, v, true).text).toBe("0x10ebc6a17c57320d");
    expect(format(btf, ptr, le(0n, 8), true).text).toBe("(nil)");
  });

  it("keeps bpftool 7.1's output for kinds it cannot format: the value stops there", () => {
    const { text, ret } = format(btf, withFloat, [5, 0, 0, 0, 0, 0, 0, 0x3f]);
    expect(text).toBe('{"id":5,"ratio":(unsupported-kind}');
    expect(ret).toBe(-22);
    expect(format(btf, fwd, [0]).text).toBe("(fwd-kind-invalid)");
    expect(format(btf, 0, [0]).text).toBe("(unknown)");
  });

  it("prints unions by member and global data sections as {section: [{var: value}]}", () => {
    expect(format(btf, anon, [0x95, 0xba, 0xdf, 0x04]).text).toBe('{"as_int":81771157,"as_bytes":[149,186,223,4]}');
    const data = [3, 0, 0, 0, 0x6d, 0x61, 0x70, 0, 0, 0, 0, 0];
    expect(format(btf, sec, data).text).toBe('{".data":[{"counter":3},{"name":"map"}]}');
    expect(format(btf, sec, data, true, true).text).toBe(
      '{\n    ".data": [{\n            "counter": 3\n        },{\n            "name": "map"\n        }\n    ]\n}',
    );
  });

  it("fails cleanly on a type id the BTF does not have", () => {
    const w = new JsonWriter(false);
    w.startArray();
    expect(formatBtfValue(w, btf, 9999, new Uint8Array(4))).toBe(-22);
    w.endArray();
    expect(w.take()).toBe("[]");
  });
});
