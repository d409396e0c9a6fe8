// `pnpm start`, the README's main job, as a user runs it: inspects the bundled object, then loads and runs it in
// the userspace VM when asked (or when bpf(2) is not available), with the same verdict and counters as the kernel.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { describeWith, itWith } from "./support/env.js";

const INSPECT = fileURLToPath(new URL("../examples/inspect.mjs", import.meta.url));

describeWith(["vmlinux-btf"], "pnpm start", () => {
  itWith([], "with --vm: runs xdp_parse in the userspace VM and prints its maps", () => {
    const r = spawnSync(process.execPath, [INSPECT, "--vm"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Loaded into the userspace VM: 2 program(s), 3 map(s)");
    expect(r.stdout).toContain("test run of xdp_parse on a 64-byte UDP packet, 3 times: XDP_PASS");
    expect(r.stdout).toContain("map proto_count: [17] = 3");
    expect(r.stdout).toContain(".bss packets_seen = 3");
  });
});
