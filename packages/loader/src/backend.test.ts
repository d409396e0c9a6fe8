// The Backend contract's handle type. The interface itself is exercised by the kernel backend's tests
// (test/kernel-*.test.ts); here: Fd ownership semantics, which every backend relies on.
import { describe, expect, it } from "vitest";
import type { Backend } from "./backend.js";
import { ClosedFdError, Fd } from "./fd.js";

describe("Fd", () => {
  it("releases exactly once and reports its state", () => {
    const released: number[] = [];
    const fd = new Fd(7, (n) => released.push(n), "map");
    expect(fd.closed).toBe(false);
    expect(fd.value).toBe(7);
    fd.close();
    fd.close();
    expect(released).toEqual([7]);
    expect(fd.closed).toBe(true);
    expect(String(fd)).toBe("map fd (closed)");
  });

  it("throws a typed error when used after close", () => {
    const fd = new Fd(3, () => {}, "prog");
    fd.close();
    expect(() => fd.value).toThrow(ClosedFdError);
    expect(() => fd.value).toThrow("prog fd 3 is already closed");
  });

  it("works with `using` and tells its owner when it closes", () => {
    const released: number[] = [];
    const closedHandles: Fd[] = [];
    let handle: Fd | undefined;
    {
      using fd = new Fd(
        9,
        (n) => released.push(n),
        "btf",
        (f) => closedHandles.push(f),
      );
      handle = fd;
      expect(released).toEqual([]);
    }
    expect(released).toEqual([9]);
    expect(closedHandles).toEqual([handle]);
  });

  it("notifies the owner even when releasing fails", () => {
    const closedHandles: Fd[] = [];
    const fd = new Fd(
      4,
      () => {
        throw new Error("EBADF");
      },
      "map",
      (f) => closedHandles.push(f),
    );
    expect(() => fd.close()).toThrow("EBADF");
    expect(fd.closed).toBe(true);
    expect(closedHandles).toHaveLength(1);
  });

  it("refuses numbers that cannot be descriptors", () => {
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => new Fd(bad, () => {})).toThrow(RangeError);
  });

  it("is what Backend methods take and return (type-level check)", () => {
    type Takes = Parameters<Backend["mapFreeze"]>[0];
    type Returns = ReturnType<Backend["createMap"]>;
    const sample: Takes & Returns = new Fd(1, () => {});
    expect(sample).toBeInstanceOf(Fd);
    sample.close();
  });
});
