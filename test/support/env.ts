// Test prerequisites: tools and kernel access some tests need.
// Locally a missing prerequisite skips the suite with a visible reason. Under CI (CI=true or
// BPFKIT_STRICT=1) it fails instead, so a test can never quietly skip on the machine that has the kernel.
import { execFileSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { describe, it } from "vitest";

export type Requirement = "clang" | "llvm-readelf" | "bpftool" | "root" | "bpffs" | "vmlinux-btf" | "libbpf-dev";

export const strict = process.env.BPFKIT_STRICT === "1" || (process.env.CI ?? "") === "true";

function hasCommand(cmd: string, args: string[] = ["--version"]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function isBpffsMounted(): boolean {
  try {
    return readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .some((l) => l.split(" ")[1] === "/sys/fs/bpf" && l.split(" ")[2] === "bpf");
  } catch {
    return false;
  }
}

const probes: Record<Requirement, () => boolean> = {
  clang: () => hasCommand("clang-19"),
  "llvm-readelf": () => hasCommand("llvm-readelf-19"),
  bpftool: () => hasCommand("bpftool", ["version"]),
  root: () => process.getuid?.() === 0,
  bpffs: isBpffsMounted,
  "vmlinux-btf": () => {
    try {
      accessSync("/sys/kernel/btf/vmlinux", constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
  "libbpf-dev": () => {
    try {
      accessSync("/usr/include/bpf/libbpf.h", constants.R_OK);
      return hasCommand("cc");
    } catch {
      return false;
    }
  },
};

const cache = new Map<Requirement, boolean>();

/** Requirements from the list that this machine lacks. */
export function missing(reqs: readonly Requirement[]): Requirement[] {
  return reqs.filter((r) => {
    let ok = cache.get(r);
    if (ok === undefined) {
      ok = probes[r]();
      cache.set(r, ok);
    }
    return !ok;
  });
}

/**
 * `describe` that needs tools or kernel access. Missing prerequisites skip the suite with the reason in its
 * name, or fail it under CI.
 */
export function describeWith(reqs: readonly Requirement[], name: string, fn: () => void): void {
  const lacking = missing(reqs);
  if (lacking.length === 0) {
    describe(name, fn);
  } else if (strict) {
    describe(name, () => {
      it("has its prerequisites", () => {
        throw new Error(`prerequisites missing under CI: ${lacking.join(", ")}`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: needs ${lacking.join(", ")}]`, fn);
  }
}
