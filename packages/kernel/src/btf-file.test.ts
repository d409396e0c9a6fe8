import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Btf } from "@bpfkit/btf";
import { describe, expect, it } from "vitest";
import { describeWith, useTempDir } from "../../../test/support/env.js";
import { readKernelBtfFile } from "./btf-file.js";

describe("readKernelBtfFile", () => {
  const dir = useTempDir("bpfkit-btf-file-");

  it("maps a regular file and returns its exact bytes", () => {
    const path = join(dir(), "blob");
    const content = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
    writeFileSync(path, content);
    const file = readKernelBtfFile(path);
    expect(file.source).toBe("mmap");
    expect(Buffer.from(file.bytes).equals(Buffer.from(content))).toBe(true);
  });

  it("falls back to reading when the file cannot be mapped (empty file)", () => {
    const path = join(dir(), "empty");
    writeFileSync(path, new Uint8Array(0));
    const file = readKernelBtfFile(path);
    expect(file.source).toBe("read");
    expect(file.bytes.length).toBe(0);
  });

  it("falls back to reading for files whose size stat does not report (procfs)", () => {
    const file = readKernelBtfFile("/proc/self/status");
    expect(file.source).toBe("read");
    expect(new TextDecoder().decode(file.bytes)).toMatch(/^Name:/);
  });

  it("throws the read error with its code when the file is missing", () => {
    expect(() => readKernelBtfFile("/nonexistent/bpfkit/vmlinux")).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });
});

describeWith(["vmlinux-btf"], "readKernelBtfFile on /sys/kernel/btf/vmlinux", () => {
  it("gives the same bytes as readFileSync, and they parse as BTF", () => {
    const file = readKernelBtfFile("/sys/kernel/btf/vmlinux");
    const read = readFileSync("/sys/kernel/btf/vmlinux");
    expect(file.bytes.length).toBe(read.length);
    expect(Buffer.from(file.bytes).equals(read)).toBe(true);
    const btf = Btf.parse(file.bytes);
    expect(btf.typeCount).toBeGreaterThan(1000);
  });
});
