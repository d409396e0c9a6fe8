import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { describeWith, itWith } from "../../../test/support/env.js";
import { KernelEnvironment, kernelEnvironment } from "./environment.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake /proc and /boot: osrelease plus optional config files. */
function fakeRoot(files: Record<string, string | Uint8Array>): { procDir: string; bootDir: string } {
  const root = mkdtempSync(join(tmpdir(), "bpfkit-env-"));
  dirs.push(root);
  const procDir = join(root, "proc");
  const bootDir = join(root, "boot");
  mkdirSync(join(procDir, "sys/kernel"), { recursive: true });
  mkdirSync(bootDir);
  writeFileSync(join(procDir, "sys/kernel/osrelease"), "6.18.7-test\n");
  for (const [path, data] of Object.entries(files)) writeFileSync(join(root, path), data);
  return { procDir, bootDir };
}

describe("KernelEnvironment (fake /proc and /boot)", () => {
  it("reads the release and computes KERNEL_VERSION", () => {
    const env = new KernelEnvironment(fakeRoot({}));
    expect(env.release).toBe("6.18.7-test");
    expect(env.kernelVersion).toBe((6 << 16) | (18 << 8) | 7);
  });

  it("prefers /boot/config-$(uname -r), then gunzips /proc/config.gz, else reports none", () => {
    const both = new KernelEnvironment(
      fakeRoot({ "boot/config-6.18.7-test": "CONFIG_HZ=100\n", "proc/config.gz": gzipSync("CONFIG_HZ=250\n") }),
    );
    expect(both.systemKconfig()?.text).toBe("CONFIG_HZ=100\n");
    expect(both.systemKconfig()?.path).toMatch(/boot\/config-6\.18\.7-test$/);
    const gz = new KernelEnvironment(fakeRoot({ "proc/config.gz": gzipSync("CONFIG_HZ=250\n") }));
    expect(gz.systemKconfig()).toMatchObject({ text: "CONFIG_HZ=250\n" });
    const none = new KernelEnvironment(fakeRoot({}));
    expect(none.systemKconfig()).toBeUndefined();
    expect(none.kconfigPaths.map((p) => p.split("/").slice(-2).join("/"))).toEqual([
      "boot/config-6.18.7-test",
      "proc/config.gz",
    ]);
  });

  it("refuses a corrupt config.gz with a LoaderError naming the file", () => {
    const env = new KernelEnvironment(fakeRoot({ "proc/config.gz": "not gzip at all" }));
    expect(() => env.systemKconfig()).toThrow(/config\.gz is not valid gzip/);
  });

  it("names the missing BTF file when vmlinux BTF is absent", () => {
    const root = fakeRoot({});
    const env = new KernelEnvironment({ ...root, btfDir: join(root.procDir, "no-btf") });
    expect(() => env.vmlinux).toThrow(/no-btf\/vmlinux is not readable \(ENOENT\).*CONFIG_DEBUG_INFO_BTF/);
  });
});

describeWith(["vmlinux-btf"], "KernelEnvironment (this kernel)", () => {
  it("parses vmlinux once and shares it", () => {
    const env = kernelEnvironment();
    expect(kernelEnvironment()).toBe(env);
    expect(env.vmlinux).toBe(env.vmlinux);
    expect(env.vmlinuxTarget.btf).toBe(env.vmlinux);
    expect(env.vmlinuxView.findByNameKind("task_struct", 4)).toBeGreaterThan(0);
    expect(env.release).toBe(readFileSync("/proc/sys/kernel/osrelease", "utf8").trim());
  });

  it("skips a module BTF that does not parse, with a warning (cilium/ebpf#1436)", () => {
    const btfDir = mkdtempSync(join(tmpdir(), "bpfkit-btf-"));
    dirs.push(btfDir);
    writeFileSync(join(btfDir, "vmlinux"), readFileSync("/sys/kernel/btf/vmlinux"));
    writeFileSync(join(btfDir, "broken_mod"), new Uint8Array([1, 2, 3]));
    const env = new KernelEnvironment({ btfDir });
    expect(env.modules).toEqual([]);
    expect(env.warnings).toHaveLength(1);
    expect(env.warnings[0]).toMatch(/broken_mod skipped/);
  });

  // Ground truth: the kernel's own symbol table lists the prefixed syscall entry when the wrapper exists.
  itWith(["x86_64"], "finds the syscall wrapper prefix in vmlinux on x86-64, as kallsyms lists it", () => {
    const listed = /^[0-9a-f]+ [tT] __x64_sys_bpf$/m.test(readFileSync("/proc/kallsyms", "utf8"));
    expect(kernelEnvironment().syscallWrapper).toBe(listed);
  });
});
