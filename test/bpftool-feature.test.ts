// `bpftool feature probe|list_builtins`: ours against bpftool 7.1.0 on this machine, byte for byte: the plain
// sentences, JSON and pretty JSON, C macros (with a prefix), `full` (helpers that write to the kernel log),
// `unprivileged` (both drop CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON for the probe), `dev IF` on a
// device without offload, and every argument error.
import { expect, it } from "vitest";
import { same } from "./bpftool-oracle-support.js";
import { ours, oursProcess, theirs } from "./support/bpftool.js";
import { describeWith } from "./support/env.js";

describeWith(["root", "bpftool"], "bpftool feature vs bpftool 7.1.0", () => {
  it("probe: plain, JSON and pretty JSON identical, kernel or unspecified", async () => {
    for (const opts of [[], ["-j"], ["-p"]]) {
      await same([...opts, "feature"]);
      await same([...opts, "feature", "probe", "kernel"]);
    }
    const json = JSON.parse((await ours(["-j", "feature", "probe"])).stdout);
    expect(Object.keys(json)).toEqual([
      "system_config",
      "syscall_config",
      "program_types",
      "map_types",
      "helpers",
      "misc",
    ]);
    // kernel options are strings (or null), never numbers, in 7.1
    for (const [key, value] of Object.entries(json.system_config as Record<string, unknown>)) {
      if (key.startsWith("CONFIG_")) expect(value === null || typeof value === "string", key).toBe(true);
    }
  });

  it("probe variants: full, macros [prefix], dev, unprivileged", async () => {
    for (const args of [
      ["feature", "probe", "full"],
      ["-j", "feature", "probe", "kernel", "full"],
      ["feature", "probe", "macros"],
      ["feature", "probe", "kernel", "macros", "prefix", "BPFKIT_"],
      ["-j", "feature", "probe", "macros"],
      ["feature", "probe", "dev", "lo"],
      ["-j", "feature", "probe", "dev", "lo"],
      ["feature", "probe", "dev", "lo", "macros", "prefix", "X_"],
      ["feature", "probe", "unprivileged"],
      ["-j", "feature", "probe", "unprivileged"],
      ["feature", "p", "k", "f"],
    ]) {
      await same(args);
    }
  });

  it("probe argument errors", async () => {
    for (const args of [
      ["feature", "probe", "dev"],
      ["feature", "probe", "dev", "nosuchdev0"],
      ["feature", "probe", "dev", "a-very-long-interface-name"],
      ["feature", "probe", "kernel", "kernel"],
      ["feature", "probe", "kernel", "dev", "lo"],
      ["feature", "probe", "dev", "lo", "kernel"],
      ["feature", "probe", "prefix", "X"],
      ["feature", "probe", "macros", "prefix"],
      ["feature", "probe", "macros", "prefix", "A", "prefix", "B"],
      ["feature", "probe", "macros", "macros"],
      ["feature", "probe", "bogus"],
    ]) {
      await same(args);
      await same(["-j", ...args]);
    }
  });

  it("list_builtins: every group, prefixes, errors; help", async () => {
    for (const group of ["prog_types", "map_types", "attach_types", "link_types", "helpers", "p", "m", "a", "l", "h"]) {
      await same(["feature", "list_builtins", group]);
      await same(["-j", "feature", "list_builtins", group]);
    }
    for (const args of [
      ["feature", "list_builtins"],
      ["feature", "list_builtins", "bogus"],
      ["feature", "help"],
      ["feature", "bogus"],
    ]) {
      await same(args);
      await same(["-j", ...args]);
    }
  });

  it("the installed bin probes in a reasonable time, with bpftool's output and status", () => {
    const start = Date.now();
    const run = oursProcess(["-j", "feature", "probe"]);
    const took = Date.now() - start;
    expect(run).toEqual(theirs(["-j", "feature", "probe"]));
    expect(took).toBeLessThan(10_000);
  });
});
