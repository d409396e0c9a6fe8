// Extern resolution rules (libbpf 1.1's bpf_object__resolve_externs) on the externs fixture: kconfig text parsing,
// precedence, weak defaults, virtual LINUX_* externs, and ksym/kfunc resolution with module BTF fd_array indexes.
import { describe, expect, it } from "vitest";
import { LoaderError, openObject } from "../packages/loader/src/object/index.js";
import { buildKconfigData, kernelVersionCode, resolveKsyms } from "../packages/loader/src/prepare/index.js";
import { fixtureBytes } from "./loader-support.js";

const spec = openObject(fixtureBytes("externs"), { path: "externs.bpf.o" });
const size = spec.maps.find((m) => m.kind === "kconfig")!.valueSize;
const kconfig = (input: Parameters<typeof buildKconfigData>[2]) => buildKconfigData(spec.externs, size, input, true);
const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer).getUint32(at, true);
// layout (see loader-open.test.ts): DOES_NOT_EXIST@0 HZ@4 NET_SCHED@8 KERNEL_VERSION@12 BPF_SYSCALL@16 COOKIE@17

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LoaderError);
    return (error as LoaderError).code;
  }
  return "ok";
}

describe(".kconfig", () => {
  const base = { kernelVersion: kernelVersionCode("6.18.44-x"), bpfCookie: true };

  it("fills values from Kconfig text, virtual externs from facts, weak unknowns stay 0", () => {
    const data = kconfig({
      ...base,
      systemKconfig: "# comment\nCONFIG_HZ=250\nCONFIG_BPF_SYSCALL=y\nCONFIG_NET_SCHED=m\n",
    });
    expect(u32(data, 0)).toBe(0);
    expect(u32(data, 4)).toBe(250);
    expect(u32(data, 8)).toBe(2); // TRI_MODULE
    expect(u32(data, 12)).toBe((6 << 16) | (18 << 8) | 44);
    expect(data[16]).toBe(1);
    expect(data[17]).toBe(1);
  });

  it("user kconfig wins over the system config; numbers in C syntax", () => {
    const data = kconfig({ ...base, kconfig: "CONFIG_HZ=0x3e8", systemKconfig: "CONFIG_HZ=250\nCONFIG_BPF_SYSCALL=n" });
    expect(u32(data, 4)).toBe(1000);
    expect(data[16]).toBe(0);
  });

  it("errors: strong extern missing, type mismatch, value out of range, malformed line", () => {
    expect(codeOf(() => kconfig({ ...base, systemKconfig: "CONFIG_BPF_SYSCALL=y" }))).toBe("UNRESOLVED");
    expect(codeOf(() => kconfig({ ...base, systemKconfig: "CONFIG_HZ=250" }))).toBe("UNRESOLVED");
    expect(codeOf(() => kconfig({ ...base, systemKconfig: "CONFIG_HZ=y\nCONFIG_BPF_SYSCALL=y" }))).toBe("BAD_VALUE");
    expect(codeOf(() => kconfig({ ...base, systemKconfig: "CONFIG_HZ=0x1ffffffff\nCONFIG_BPF_SYSCALL=y" }))).toBe(
      "BAD_VALUE",
    );
    expect(codeOf(() => kconfig({ ...base, systemKconfig: "CONFIG_BPF_SYSCALL=m\nCONFIG_HZ=1" }))).toBe("BAD_VALUE");
    expect(codeOf(() => kconfig({ ...base, systemKconfig: "CONFIG_HZ\nCONFIG_BPF_SYSCALL=y" }))).toBe("BAD_VALUE");
    expect(codeOf(() => kconfig({ bpfCookie: true, systemKconfig: "CONFIG_HZ=1\nCONFIG_BPF_SYSCALL=y" }))).toBe(
      "UNRESOLVED",
    );
  });
});

describe(".ksyms", () => {
  const view = (names: Record<string, number>) => ({
    findByNameKind: (name: string) => names[name] ?? 0,
  });

  it("typeless from kallsyms, kfuncs from vmlinux first then modules with 1-based fd_array slots", () => {
    const resolved = resolveKsyms(spec.externs, {
      kallsyms: [{ name: "bpf_prog_put", address: 0xffffffff81234567n }],
      vmlinux: view({ bpf_task_acquire: 100 }),
      modules: [
        { name: "mod_a", fd: 41, btf: view({ bpf_task_release: 7, bpf_rcu_read_lock: 8 }) },
        { name: "mod_b", fd: 42, btf: view({ bpf_rcu_read_unlock: 9 }) },
      ],
    });
    expect(Object.fromEntries(resolved.values)).toEqual({
      bpf_prog_put: { kind: "address", address: 0xffffffff81234567n },
      bpf_rcu_read_lock: { kind: "kfunc", btfId: 8, fdIndex: 1, btfFd: 41 },
      bpf_rcu_read_unlock: { kind: "kfunc", btfId: 9, fdIndex: 2, btfFd: 42 },
      bpf_task_acquire: { kind: "kfunc", btfId: 100, fdIndex: 0, btfFd: 0 },
      bpf_task_release: { kind: "kfunc", btfId: 7, fdIndex: 1, btfFd: 41 },
    });
    expect(resolved.fdArray).toEqual([0, 41, 42]);
  });

  it("weak kfuncs may stay unresolved, strong ones and ambiguous kallsyms may not", () => {
    const resolved = resolveKsyms(spec.externs, {
      kallsyms: [{ name: "bpf_prog_put", address: 1n }],
      vmlinux: view({ bpf_task_acquire: 1, bpf_task_release: 2 }),
    });
    expect(resolved.values.get("bpf_rcu_read_lock")).toEqual({ kind: "unresolved-weak" });
    expect(codeOf(() => resolveKsyms(spec.externs, { vmlinux: view({}) }))).toBe("UNRESOLVED");
    expect(
      codeOf(() =>
        resolveKsyms(spec.externs, {
          kallsyms: [
            { name: "bpf_prog_put", address: 1n },
            { name: "bpf_prog_put", address: 2n },
          ],
          vmlinux: view({ bpf_task_acquire: 1, bpf_task_release: 2 }),
        }),
      ),
    ).toBe("UNRESOLVED");
  });
});
