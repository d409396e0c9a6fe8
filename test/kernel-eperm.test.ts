// EPERM from the real kernel, with its explanation: the effective capabilities of this thread are cleared for
// the duration of one call (kernel.unprivileged_bpf_disabled is 1 or 2 on most systems, so bpf(2) then refuses).
import { encodeInstructions, exit, MapType, mov64Imm, ProgType, R0 } from "@bpfkit/asm";
import { BpfSyscallError, KernelBackend } from "@bpfkit/kernel";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withoutEffectiveCapabilities } from "../packages/kernel/test-support/capabilities.js";
import { describeWith, unprivilegedBpfDisabled } from "./support/env.js";

describeWith(["root", "unprivileged-bpf-disabled"], "kernel backend: EPERM explained", () => {
  let backend: KernelBackend;
  let unprivilegedDisabled: number;
  beforeAll(() => {
    backend = new KernelBackend();
    unprivilegedDisabled = unprivilegedBpfDisabled();
  });
  afterAll(() => backend?.close());

  it("map create without capabilities", () => {
    let error: unknown;
    withoutEffectiveCapabilities(() => {
      try {
        backend.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: "eperm" });
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(BpfSyscallError);
    const e = error as BpfSyscallError;
    expect(e.code).toBe("EPERM");
    expect(e.command).toBe("BPF_MAP_CREATE");
    expect(e.explanation).toContain("CAP_BPF");
    expect(e.explanation).toContain(`kernel.unprivileged_bpf_disabled=${unprivilegedDisabled}`);
    expect(e.message).toContain("EPERM: bpf(2) needs root, or CAP_BPF");
    // Capabilities are back: the same call works again.
    backend.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }).close();
  });

  it("program load without capabilities", () => {
    const insns = encodeInstructions([mov64Imm(R0, 2), exit()], "little");
    let error: unknown;
    withoutEffectiveCapabilities(() => {
      try {
        backend.loadProgram({ progType: ProgType.XDP, insns, license: "GPL" });
      } catch (e) {
        error = e;
      }
    });
    // No verifier log is produced for a permission refusal, so this is a plain BpfSyscallError.
    expect(error).toMatchObject({ name: "BpfSyscallError", code: "EPERM", command: "BPF_PROG_LOAD" });
    expect((error as BpfSyscallError).explanation).toContain("lockdown");
  });
});
