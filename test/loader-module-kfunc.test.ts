import { Btf, BtfBuilder, Linkage } from "@bpfkit/btf";
import { KernelBackend, VerifierError } from "@bpfkit/kernel";
import { openObject } from "@bpfkit/loader";
import { expect, it } from "vitest";
import { load } from "../packages/loader/src/prepare/index.js";
import { coreOptions, fixtureBytes, fixturePath, kernelFacts } from "./loader-support.js";
import { describeWith } from "./support/env.js";
import { openFds } from "./support/failures.js";

const BPF_PSEUDO_KFUNC_CALL = 2;

describeWith(["root", "bpffs", "vmlinux-btf"], "kfunc from module BTF", () => {
  it("passes the module's BTF fd in fd_array and the call's slot index, and the kernel checks it", () => {
    const spec = openObject(fixtureBytes("externs"), { path: fixturePath("externs") });
    const facts = kernelFacts();
    const builder = new BtfBuilder();
    const proto = builder.addFuncProto(0, []);
    const funcId = builder.addFunc("bpf_rcu_read_lock", proto, Linkage.GLOBAL);
    const moduleBtf = Btf.parse(builder.encode());
    expect(moduleBtf.typeCount).toBeGreaterThan(funcId);

    const backend = new KernelBackend();
    try {
      const fake = backend.loadBtf({ btf: builder.encode() }).fd;
      const before = openFds();
      const loads: { fdArray?: readonly ({ value: number } | null)[]; insns: Uint8Array }[] = [];
      const recording = new Proxy(backend, {
        get: (target, key) => {
          if (key === "loadProgram")
            return (attrs: Parameters<KernelBackend["loadProgram"]>[0]) => {
              loads.push(attrs);
              return target.loadProgram(attrs);
            };
          const value = Reflect.get(target, key, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const vmlinux = facts.vmlinux!;
      const options = {
        externs: {
          ...facts,
          // the kernel's own bpf_rcu_read_lock hidden, so the lookup falls through to the "module"
          vmlinux: {
            findByNameKind: (n: string, k: number) => (n === "bpf_rcu_read_lock" ? 0 : vmlinux.findByNameKind(n, k)),
          },
          modules: [
            {
              name: "bpfkit_fake_mod",
              fd: fake.value,
              btf: { findByNameKind: (n: string) => (n === "bpf_rcu_read_lock" ? funcId : 0) },
            },
          ],
        },
        core: coreOptions(),
        moduleBtfFds: new Map([["bpfkit_fake_mod", fake]]),
      };
      let error: unknown;
      try {
        load(spec, recording, options).close();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(VerifierError);
      expect((error as Error).message).toContain("BTF fd for kfunc is not a module BTF");
      expect(loads).toHaveLength(1);
      expect(loads[0]!.fdArray?.map((f) => f?.value ?? 0)).toEqual([0, fake.value]);
      // the call to bpf_rcu_read_lock: src_reg PSEUDO_KFUNC_CALL, imm = the module's type id, off = slot 1
      const insns = loads[0]!.insns;
      const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
      const calls = [];
      for (let at = 0; at < insns.length; at += 8) {
        if (insns[at] === 0x85 && insns[at + 1]! >> 4 === BPF_PSEUDO_KFUNC_CALL)
          calls.push({ off: view.getInt16(at + 2, true), imm: view.getInt32(at + 4, true) });
      }
      expect(calls).toContainEqual({ off: 1, imm: funcId });
      expect(calls.filter((c) => c.off === 0).length).toBeGreaterThan(0); // vmlinux kfuncs stay in slot 0
      expect(openFds()).toBe(before);
    } finally {
      backend.close();
    }
  });
});
