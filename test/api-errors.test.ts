// Load failures through loadCollection against the real kernel: each must say what is wrong, where, and (for the
// verifier) in which C line, and must leave nothing open.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { BpfSyscallError, KernelEnvironment, loadCollection, VerifierError } from "@bpfkit/kernel";
import { LoaderError, openObject } from "@bpfkit/loader";
import { expect, it } from "vitest";
import { fixturePath, useLoaderOracle } from "./loader-support.js";
import { describeWith, itWith, usePinRoot, useTempDir } from "./support/env.js";
import { caught, lineOf, openFds } from "./support/failures.js";

const SOCKET_FILTER = 1;

describeWith(["root", "bpffs", "vmlinux-btf", "bpftool"], "loadCollection failures", () => {
  const pinRoot = usePinRoot();
  const scratch = useTempDir("bpfkit-noconfig-");

  it("a verifier refusal names the program, the failing instruction and the C source line", () => {
    const before = openFds();
    const error = caught(() => loadCollection(fixturePath("verifier_reject")));
    expect(error).toBeInstanceOf(VerifierError);
    const v = error as VerifierError;
    expect(v.code).toBe("EACCES");
    expect(v.message).toMatch(/^prog 'reject_unchecked': /);
    expect(v.message).toContain("invalid access to packet");
    expect(v.insnIndex).toBeGreaterThanOrEqual(0);
    expect(v.message).toContain(`at insn ${v.insnIndex}`);
    const line = lineOf("verifier_reject.bpf.o", "__u8 first = *(__u8 *)data;");
    expect(v.sourceLine?.line).toBe(line);
    expect(v.sourceLine?.file).toMatch(/verifier_reject\.bpf\.c$/);
    expect(v.message).toContain(`verifier_reject.bpf.c:${line}:`);
    expect(v.message).toContain("__u8 first = *(__u8 *)data;");
    expect(v.fullLog).toContain("R1 offset is outside of the packet");
    expect(openFds()).toBe(before);
  });

  it("an unknown section name is a clear open error, and loads once the program type is given", () => {
    const error = caught(() => loadCollection(fixturePath("license_proprietary")));
    expect(error).toBeInstanceOf(LoaderError);
    expect((error as LoaderError).code).toBe("UNKNOWN_SECTION");
    expect(error.message).toMatch(/custom_section_prog.*'bpfkit_custom_section'.*give the program type/);

    using c = loadCollection(fixturePath("license_proprietary"), {
      programTypes: { custom_section_prog: { type: SOCKET_FILTER } },
      programs: ["custom_section_prog"],
    });
    expect(c.program("custom_section_prog").info().type).toBe(SOCKET_FILTER);
    expect(c.program("custom_section_prog").testRun({ dataIn: new Uint8Array(100) }).retval).toBe(1);
  });

  it("a GPL-only helper in a non-GPL program: the kernel's reason, the helper and the C line", () => {
    const error = caught(() =>
      loadCollection(fixturePath("license_proprietary"), {
        programTypes: { custom_section_prog: { type: SOCKET_FILTER } },
        programs: ["proprietary_printk"],
      }),
    );
    expect(error).toBeInstanceOf(VerifierError);
    expect(error.message).toMatch(/^prog 'proprietary_printk': /);
    expect(error.message).toContain("cannot call GPL-restricted function from non-GPL compatible program");
    expect(error.message).toContain("bpf_probe_read_kernel");
    expect(error.message).toContain(
      `license_proprietary.bpf.c:${lineOf("license_proprietary.bpf.o", "bpf_probe_read_kernel(")}`,
    );
  });

  it("no license section: an empty license, as libbpf sends, and the kernel refuses the GPL-only helper", () => {
    const path = fixturePath("no_license");
    expect(openObject(readFileSync(path), { path }).license).toBe("");
    const before = openFds();
    const error = caught(() => loadCollection(path));
    expect(error).toBeInstanceOf(VerifierError);
    expect(error.message).toMatch(/^prog 'unlicensed_read': /);
    expect(error.message).toContain("cannot call GPL-restricted function from non-GPL compatible program");
    expect(error.message).toContain(`no_license.bpf.c:${lineOf("no_license.bpf.o", "bpf_probe_read_kernel(")}`);
    expect(openFds()).toBe(before);
    // libbpf 1.1 is refused by the kernel for the same reason
    const bpftool = spawnSync("bpftool", ["-d", "prog", "loadall", path, `${pinRoot()}/libbpf`], { encoding: "utf8" });
    expect(bpftool.status).not.toBe(0);
    expect(bpftool.stderr).toContain("cannot call GPL-restricted function from non-GPL compatible program");
  });

  it("bad kconfig text names the CONFIG_ symbol and the bad value", () => {
    const error = caught(() => loadCollection(fixturePath("externs"), { kconfig: "CONFIG_HZ=abc" }));
    expect(error).toBeInstanceOf(LoaderError);
    expect(error.message).toBe("extern (kcfg) 'CONFIG_HZ': value 'abc' isn't a valid integer");
    const malformed = caught(() => loadCollection(fixturePath("externs"), { kconfig: "CONFIG_HZ" }));
    expect(malformed.message).toMatch(/failed to parse 'CONFIG_HZ': no separator/);
  });

  it("a strong CONFIG_ extern without any kernel config names the symbol and every path tried", () => {
    // a /proc without config.gz and an empty /boot
    const root = scratch();
    mkdirSync(join(root, "sys/kernel"), { recursive: true });
    writeFileSync(join(root, "sys/kernel/osrelease"), readFileSync("/proc/sys/kernel/osrelease"));
    symlinkSync("/proc/kallsyms", join(root, "kallsyms")); // the object also has a typeless ksym
    const environment = new KernelEnvironment({ procDir: root, bootDir: join(root, "boot") });
    const error = caught(() => loadCollection(fixturePath("externs"), { environment }));
    expect(error).toBeInstanceOf(LoaderError);
    expect(error.message).toContain("extern 'CONFIG_HZ' needs the kernel config, but none was found");
    expect(error.message).toContain(join(root, "boot", "config-"));
    expect(error.message).toContain(join(root, "config.gz"));
    // the user's kconfig text is enough: CONFIG_NET_SCHED and the others are __weak
    using c = loadCollection(fixturePath("externs"), {
      environment,
      kconfig: "CONFIG_HZ=250\nCONFIG_BPF_SYSCALL=y\n",
    });
    expect(c.programs.has("extern_sched_switch")).toBe(true);
  });

  const oracle = useLoaderOracle();

  for (const [program, section] of [
    ["sec_fentry", "fentry/do_unlinkat"],
    ["sec_lsm", "lsm/file_open"],
  ] as const) {
    itWith(
      ["libbpf-dev"],
      `${section}: refused exactly when libbpf is; an EPERM names the program and the likely reason`,
      () => {
        // whether this kernel takes the program (trampolines, BPF LSM, lockdown) is the machine's business:
        // libbpf 1.1 loading it alone is the reference (this kernel: EPERM for both)
        const path = fixturePath("sections");
        const libbpfError = oracle.refused(path, pinRoot(), [program]).get(program);
        const before = openFds();
        if (libbpfError === undefined) {
          loadCollection(path, { programs: [program] }).close();
        } else {
          const error = caught(() => loadCollection(path, { programs: [program] }));
          expect(error).toBeInstanceOf(BpfSyscallError);
          const code = (error as BpfSyscallError).code;
          expect(-constants.errno[code as keyof typeof constants.errno]).toBe(libbpfError);
          expect(error.message).toMatch(new RegExp(`^prog '${program}': BPF_PROG_LOAD .* failed: ${code}`));
          // libbpf 1.1: "prog 'sec_fentry': BPF program load failed: Operation not permitted"
          if (code === "EPERM") {
            expect(error.message).toContain(`running as root, so this kernel refuses SEC("${section}") programs`);
          }
        }
        expect(openFds()).toBe(before);
      },
    );
  }
});
