import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, expect, it } from "vitest";
import { describeWith, useTempDir } from "../../../test/support/env.js";
import { fixtureDir, fixtureObjects, readFixture, readVmlinux, VMLINUX } from "../test-support/fixtures.js";
import { Btf, BtfError, btfFromElf } from "./btf-api.js";

let oracle = "";

function compare(btf: Btf, file: string): void {
  const lines = execFileSync(oracle, [file], { encoding: "utf8", maxBuffer: 1 << 28 })
    .trimEnd()
    .split("\n");
  expect(lines.length).toBe(btf.typeCount - 1);
  let checked = 0;
  for (const line of lines) {
    const [id, size, align] = line.split(" ").map(Number);
    const ours = attempt(() => btf.resolveSize(id));
    const ourAlign = attempt(() => btf.alignOf(id));
    if (size < 0) expect(ours, `size of [${id}]`).toBe("error");
    else expect(ours, `size of [${id}]`).toBe(size);
    if (align <= 0) expect(ourAlign, `align of [${id}]`).toBe("error");
    else expect(ourAlign, `align of [${id}]`).toBe(align);
    checked++;
  }
  expect(checked).toBeGreaterThan(0);
}

function attempt(f: () => number): number | "error" {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    return "error";
  }
}

describeWith(["libbpf-dev"], "resolveSize / alignOf agree with libbpf", () => {
  const dir = useTempDir("bpfkit-walks-");
  // Registered after useTempDir's hook, so the directory exists when this runs.
  beforeAll(() => {
    oracle = join(dir(), "libbpf_walks");
    const src = fileURLToPath(new URL("../test-support/libbpf_walks.c", import.meta.url));
    execFileSync("cc", ["-O2", src, "-lbpf", "-o", oracle]);
  });

  for (const object of fixtureObjects().filter((o) => !o.includes("bpfeb"))) {
    it(object, () => compare(btfFromElf(readFixture(object)), fixtureDir + object));
  }

  describeWith(["vmlinux-btf"], "vmlinux", () => {
    it("every type of vmlinux", () => compare(Btf.parse(readVmlinux()), VMLINUX));
  });
});
