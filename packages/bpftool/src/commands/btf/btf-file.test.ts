// libbpfVerdict: the errno and warnings of libbpf's btf_new for BTF our parser refuses, on BTF built here.
import { BtfBuilder, IntEncoding } from "@bpfkit/btf";
import { describe, expect, it } from "vitest";
import { libbpfVerdict } from "./btf-file.js";

/** Raw BTF with every kind that has members or a tail, so record sizes are all walked. */
function sample(): Buffer {
  const b = new BtfBuilder();
  const int = b.addInt("int", 4, IntEncoding.SIGNED);
  const s = b.addStruct("s", 8, [
    { name: "a", type: int, bitOffset: 0 },
    { name: "b", type: int, bitOffset: 32 },
  ]);
  b.addEnum("e", 4, [{ name: "E1", value: 1 }]);
  const proto = b.addFuncProto(int, [{ name: "x", type: b.addPtr(s) }]);
  b.addFunc("f", proto);
  const v = b.addVar("v", int);
  b.addDatasec(".data", 4, [{ type: v, offset: 0, size: 4 }]);
  b.addArray(int, int, 2);
  return Buffer.from(b.encode());
}

/** The sample with its type section grown by `extra` bytes (the string section moved behind them). */
function withTypeBytes(extra: Buffer): Buffer {
  const b = sample();
  const typeLen = b.readUInt32LE(12);
  const types = Buffer.concat([b.subarray(24, 24 + typeLen), extra]);
  const out = Buffer.concat([b.subarray(0, 24), types, b.subarray(24 + b.readUInt32LE(16))]);
  out.writeUInt32LE(types.length, 12);
  out.writeUInt32LE(types.length, 16);
  return out;
}

describe("libbpfVerdict", () => {
  it("walks every kind's record size: valid BTF gets libbpf's plain EINVAL", () => {
    expect(libbpfVerdict(sample(), undefined)).toMatchObject({ errno: 22, warnings: [] });
  });

  it("names libbpf's warnings for leftover bytes and a record past the end", () => {
    expect(libbpfVerdict(withTypeBytes(Buffer.alloc(4)), undefined)).toMatchObject({
      errno: 22,
      warnings: ["BTF types data is malformed"],
    });
    // A struct whose vlen runs past the section: the 10th type (id 10).
    const record = Buffer.alloc(12);
    record.writeUInt32LE((4 << 24) | 5, 4);
    expect(libbpfVerdict(withTypeBytes(record), undefined)).toMatchObject({
      errno: 22,
      warnings: ["BTF type [10] is malformed"],
    });
  });

  it("refuses other-endian BTF with a header it cannot swap, and short or foreign data", () => {
    const header = Buffer.alloc(32);
    header.writeUInt16BE(0xeb9f, 0);
    header.writeUInt32BE(32, 4);
    expect(libbpfVerdict(header, undefined)).toMatchObject({ errno: 95 });
    expect(libbpfVerdict(Buffer.alloc(10), undefined)).toMatchObject({ errno: 22, warnings: [] });
    expect(libbpfVerdict(Buffer.alloc(40), undefined)).toMatchObject({ errno: 22, warnings: [] });
  });
});
