import { describe, expect, it } from "vitest";
import { Btf, BtfBuilder, BtfError, type BtfErrorCode, Kind } from "./btf-api.js";

/** A small valid BTF: [1] int, [2] struct s { int a; struct s *next; }, [3] ptr -> 2, [4] typedef t -> 1. */
function sample(): Uint8Array {
  const b = new BtfBuilder();
  const int = b.addInt("int", 4, 1);
  b.addStruct("s", 16, [
    { name: "a", type: int, bitOffset: 0 },
    { name: "next", type: 3, bitOffset: 64 },
  ]);
  b.addPtr(2);
  b.addTypedef("t", int);
  return b.encode();
}

function words(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Byte offset of word `i` of the type section. */
const typeWord = (i: number) => 24 + i * 4;

function expectBtfError(bytes: Uint8Array, code: BtfErrorCode, check?: (e: BtfError) => void): void {
  try {
    Btf.parse(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(BtfError);
    expect((e as BtfError).code).toBe(code);
    check?.(e as BtfError);
    return;
  }
  throw new Error(`expected BtfError ${code}`);
}

function patched(edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = sample();
  edit(words(bytes), bytes);
  return bytes;
}

describe("sanity validation", () => {
  it("accepts the sample", () => {
    const btf = Btf.parse(sample());
    expect(btf.typeCount).toBe(5);
    expect(btf.nameOf(2)).toBe("s");
  });

  it("rejects a truncated header", () => expectBtfError(sample().subarray(0, 20), "TRUNCATED"));
  it("rejects bad magic", () =>
    expectBtfError(
      patched((v) => v.setUint16(0, 0x1234, true)),
      "BAD_MAGIC",
    ));
  it("rejects version 2", () =>
    expectBtfError(
      patched((v) => v.setUint8(2, 2)),
      "BAD_VERSION",
    ));
  it("rejects hdr_len past the data", () =>
    expectBtfError(
      patched((v) => v.setUint32(4, 4096, true)),
      "BAD_HEADER",
      (e) => expect(e.offset).toBe(4),
    ));
  it("rejects a type section past the data", () =>
    expectBtfError(
      patched((v) => v.setUint32(12, 4096, true)),
      "BAD_HEADER",
    ));
  it("rejects a string section past the data", () =>
    expectBtfError(
      patched((v) => v.setUint32(20, 4096, true)),
      "BAD_HEADER",
    ));
  it("rejects a truncated blob (section lengths past the end)", () => {
    const bytes = sample();
    expectBtfError(bytes.subarray(0, bytes.length - 3), "BAD_HEADER");
  });
  it("rejects strings that do not start with NUL", () =>
    expectBtfError(
      patched((v, b) => {
        b[24 + v.getUint32(16, true)] = 65;
      }),
      "BAD_STRINGS",
    ));
  it("rejects strings that do not end with NUL", () =>
    expectBtfError(
      patched((_v, b) => {
        b[b.length - 1] = 65;
      }),
      "BAD_STRINGS",
    ));
  it("rejects a name offset past the strings", () =>
    expectBtfError(
      patched((v) => v.setUint32(typeWord(0), 9999, true)),
      "BAD_NAME_OFFSET",
      (e) => {
        expect(e.typeId).toBe(1);
        expect(e.offset).toBe(typeWord(0));
      },
    ));
  it("rejects a member name offset past the strings", () =>
    expectBtfError(
      patched((v) => v.setUint32(typeWord(7), 9999, true)),
      "BAD_NAME_OFFSET",
      (e) => expect(e.typeId).toBe(2),
    ));
  it("rejects vlen larger than the data", () =>
    expectBtfError(
      patched((v) => v.setUint32(typeWord(5), (Kind.STRUCT << 24) | 200, true)),
      "BAD_VLEN",
      (e) => expect(e.typeId).toBe(2),
    ));
  it("rejects a type id past the end", () =>
    expectBtfError(
      patched((v) => v.setUint32(typeWord(15), 77, true)),
      "BAD_TYPE_ID",
      (e) => {
        expect(e.typeId).toBe(3);
        expect(e.offset).toBe(typeWord(15));
      },
    ));
  it("rejects an unknown kind", () =>
    expectBtfError(
      patched((v) => v.setUint32(typeWord(1), 25 << 24, true)),
      "UNKNOWN_KIND",
      (e) => expect(e.typeId).toBe(1),
    ));
  it("rejects kind 0", () =>
    expectBtfError(
      patched((v) => v.setUint32(typeWord(1), 0, true)),
      "UNKNOWN_KIND",
    ));
  it("rejects kind_flag where the kind has none", () =>
    expectBtfError(
      patched((v) => v.setUint32(typeWord(14), ((Kind.PTR << 24) | 0x80000000) >>> 0, true)),
      "BAD_INFO",
    ));
  it("rejects a record cut by the end of the type section", () => {
    // Drop the last word of the typedef: the type section then ends 8 bytes into a record.
    const b = new BtfBuilder();
    b.addInt("int", 4, 1);
    const bytes = b.encode();
    const v = words(bytes);
    v.setUint32(12, 8, true);
    expectBtfError(bytes, "TRUNCATED");
  });

  it("rejects a TYPEDEF -> CONST -> TYPEDEF loop", () => {
    const b = new BtfBuilder();
    b.addTypedef("t", 2);
    b.addConst(1);
    expectBtfError(b.encode(), "CYCLE");
  });
  it("rejects a pointer to itself", () => {
    const b = new BtfBuilder();
    b.addPtr(1);
    expectBtfError(b.encode(), "CYCLE", (e) => expect(e.typeId).toBe(1));
  });
  it("rejects an array of itself", () => {
    const b = new BtfBuilder();
    b.addInt("int", 4, 1);
    b.addArray(2, 1, 4);
    expectBtfError(b.encode(), "CYCLE");
  });
  it("accepts pointer loops through a struct", () => {
    const b = new BtfBuilder();
    b.addStruct("node", 8, [{ name: "next", type: 2, bitOffset: 0 }]);
    b.addPtr(3);
    b.addConst(1);
    expect(Btf.parse(b.encode()).typeCount).toBe(4);
  });
  it("walks terminate on a loop when the cycle check is skipped", () => {
    const b = new BtfBuilder();
    b.addTypedef("t", 2);
    b.addConst(1);
    const btf = Btf.parse(b.encode(), { checkCycles: false });
    expect(() => btf.skipModsAndTypedefs(1)).toThrow(BtfError);
    expect(() => btf.resolveSize(1)).toThrow(BtfError);
    expect(() => btf.alignOf(1)).toThrow(BtfError);
  });
  it("walks terminate on a struct containing itself by value", () => {
    const b = new BtfBuilder();
    b.addStruct("loop", 8, [{ name: "self", type: 1, bitOffset: 0 }]);
    const btf = Btf.parse(b.encode());
    expect(btf.resolveSize(1)).toBe(8);
    expect(() => btf.alignOf(1)).toThrow(BtfError);
  });
  it("accessors refuse out-of-range ids with BtfError", () => {
    const btf = Btf.parse(sample());
    expect(() => btf.kind(5)).toThrow(BtfError);
    expect(() => btf.kind(-1)).toThrow(BtfError);
    expect(() => btf.memberType(2, 2)).toThrow(BtfError);
    expect(() => btf.type(99)).toThrow(BtfError);
  });
});
