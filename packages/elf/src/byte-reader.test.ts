import fc from "fast-check";
import { expect, it } from "vitest";
import { ByteReader } from "./byte-reader.js";
import { ElfError } from "./errors.js";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ElfError);
    return (err as ElfError).code;
  }
}

it("reads in both byte orders and agrees with DataView (property)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.boolean(), (bytes, littleEndian) => {
      const reader = new ByteReader(bytes, littleEndian);
      const view = new DataView(bytes.buffer);
      expect(reader.u16(0)).toBe(view.getUint16(0, littleEndian));
      expect(reader.u32(4)).toBe(view.getUint32(4, littleEndian));
      const u64 = view.getBigUint64(0, littleEndian);
      if (u64 <= BigInt(Number.MAX_SAFE_INTEGER)) expect(reader.u64(0)).toBe(Number(u64));
      else expect(code(() => reader.u64(0))).toBe("VALUE_TOO_LARGE");
      const i64 = view.getBigInt64(0, littleEndian);
      const safe = i64 <= BigInt(Number.MAX_SAFE_INTEGER) && i64 >= BigInt(Number.MIN_SAFE_INTEGER);
      if (safe) expect(reader.i64(0)).toBe(Number(i64));
      else expect(code(() => reader.i64(0))).toBe("VALUE_TOO_LARGE");
    }),
    { seed: 1, numRuns: 2000 },
  );
});

it("64-bit edges: 2^53 - 1 and -(2^53 - 1) read exactly, one past them is rejected", () => {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  const reader = new ByteReader(bytes, false);
  view.setBigUint64(0, 2n ** 53n - 1n, false);
  expect(reader.u64(0)).toBe(Number.MAX_SAFE_INTEGER);
  view.setBigUint64(0, 2n ** 53n, false);
  expect(code(() => reader.u64(0))).toBe("VALUE_TOO_LARGE");
  view.setBigInt64(0, -(2n ** 53n) + 1n, false);
  expect(reader.i64(0)).toBe(Number.MIN_SAFE_INTEGER);
  view.setBigInt64(0, -(2n ** 53n), false);
  expect(code(() => reader.i64(0))).toBe("VALUE_TOO_LARGE");
  view.setBigInt64(0, -1n, false);
  expect(reader.i64(0)).toBe(-1);
});

it("every read past the end is an ElfError with the offset, on a view into a larger buffer too", () => {
  const backing = new Uint8Array(32);
  const reader = new ByteReader(backing.subarray(8, 16), true);
  expect(reader.u32(4)).toBe(0);
  for (const read of [
    () => reader.u8(8),
    () => reader.u16(7),
    () => reader.u32(5),
    () => reader.u64(1),
    () => reader.u8(-1),
  ]) {
    expect(code(read)).toBe("OUT_OF_RANGE");
  }
  try {
    reader.u32(6, "sh_size", { index: 3, name: ".text" });
  } catch (err) {
    expect(err).toMatchObject({ code: "OUT_OF_RANGE", offset: 6, section: { index: 3, name: ".text" } });
    expect((err as Error).message).toBe(
      "section header 3 (.text): sh_size: 0x6 + 0x4 extends past end of file (size 0x8)",
    );
  }
});
