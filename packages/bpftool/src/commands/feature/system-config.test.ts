// bpftool's read_procfs rules for the sysctls of `feature probe`: a base-10 number right before the first newline.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KERNEL_OPTIONS, readProcfsInt } from "./system-config.js";

describe("feature probe: system configuration", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfkit-procfs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const read = (text: string) => {
    const path = join(dir, "value");
    writeFileSync(path, text);
    return readProcfsInt(path);
  };

  it("reads a number that ends its first line; anything else is -1", () => {
    expect(read("2\n")).toBe(2);
    expect(read("  -7\nmore\n")).toBe(-7);
    expect(read("528482304\n")).toBe(528482304);
    expect(read("1")).toBe(-1); // no newline after it
    expect(read("1 \n")).toBe(-1);
    expect(read("x\n")).toBe(-1);
    expect(read("\n")).toBe(-1);
    expect(read("4294967297\n")).toBe(1); // strtol's long, stored in an int
    expect(read("99999999999999999999\n")).toBe(-1); // ERANGE
    expect(readProcfsInt(join(dir, "missing"))).toBe(-1);
  });

  it("reports bpftool 7.1's 35 kernel options, CONFIG_HZ last and the only macro", () => {
    expect(KERNEL_OPTIONS).toHaveLength(35);
    expect(KERNEL_OPTIONS.filter((o) => o.macro).map((o) => o.name)).toEqual(["CONFIG_HZ"]);
    expect(KERNEL_OPTIONS.at(-1)?.name).toBe("CONFIG_HZ");
  });
});
