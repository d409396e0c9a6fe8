import { describe, expect, it } from "vitest";
import { KernelBackendError } from "./errors.js";
import { countCpuList } from "./possible-cpus.js";

describe("countCpuList", () => {
  it("counts single CPUs and ranges like /sys/devices/system/cpu/possible", () => {
    expect(countCpuList("0\n")).toBe(1);
    expect(countCpuList("0-1\n")).toBe(2);
    expect(countCpuList("0-3,6,8-9")).toBe(7);
  });

  it("rejects malformed lists with a typed error", () => {
    for (const bad of ["", "a", "3-1", "0-", "1,,x"]) expect(() => countCpuList(bad)).toThrow(KernelBackendError);
  });
});
