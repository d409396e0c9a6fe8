// Resolving .ksyms externs (libbpf's bpf_object__read_kallsyms_file + bpf_object__resolve_ksyms_btf_id):
// typeless variables get their kallsyms address; typed variables and kfuncs get a BTF id in vmlinux, or in the
// first module BTF that has one (modules are searched only when vmlinux lacks the name), plus the module's BTF
// fd: in insn[1].imm for variables, through an fd_array index (1-based, 0 = vmlinux) for kfunc calls.
// Kernel facts come in as data (kallsyms entries, BTF views with their fds): no file or syscall here.

import type { CoreBtf } from "@bpfkit/btf";
import { LoaderError } from "../errors.js";
import type { ExternSpec } from "../object/spec.js";

const KIND_VAR = 14;
const KIND_FUNC = 12;

/** The slice of a kernel BTF the resolver needs; `findByNameKind` returns 0 when absent. */
export interface KernelBtfView {
  findByNameKind(name: string, kind: number): number;
  /** Member layouts and sizes of the same BTF (struct_ops maps need them); absent in name-only views. */
  readonly types?: CoreBtf;
}

export interface KernelBtfObject {
  /** "vmlinux" or the module name. */
  readonly name: string;
  readonly btf: KernelBtfView;
  /** BTF object fd (modules only; vmlinux is referred to as 0). */
  readonly fd: number;
}

export interface KsymInput {
  /** kallsyms entries (e.g. `parseKallsyms` of @bpfkit/asm over /proc/kallsyms text). */
  readonly kallsyms?: readonly { readonly name: string; readonly address: bigint }[];
  readonly vmlinux?: KernelBtfView;
  readonly modules?: readonly KernelBtfObject[];
  /**
   * Optional check that a local kfunc prototype is compatible with the kernel's (libbpf uses
   * bpf_core_types_are_compat); called with the object-local proto id and the kernel FUNC id.
   */
  readonly checkKfunc?: (ext: ExternSpec, kernel: { btf: KernelBtfView; funcId: number }) => boolean;
}

export type ResolvedKsym =
  | { readonly kind: "address"; readonly address: bigint }
  | { readonly kind: "btf-var"; readonly btfId: number; readonly btfFd: number }
  | { readonly kind: "kfunc"; readonly btfId: number; readonly fdIndex: number; readonly btfFd: number }
  | { readonly kind: "unresolved-weak" };

export interface ResolvedKsyms {
  readonly values: ReadonlyMap<string, ResolvedKsym>;
  /** fd_array for BPF_PROG_LOAD: index 0 unused (0), then each module BTF fd referenced by a kfunc. */
  readonly fdArray: readonly number[];
}

function findKernel(
  name: string,
  kind: number,
  input: KsymInput,
): { btf: KernelBtfView; id: number; module: KernelBtfObject | undefined } | undefined {
  const id = input.vmlinux?.findByNameKind(name, kind) ?? 0;
  if (id > 0 && input.vmlinux) return { btf: input.vmlinux, id, module: undefined };
  for (const module of input.modules ?? []) {
    const mid = module.btf.findByNameKind(name, kind);
    if (mid > 0) return { btf: module.btf, id: mid, module };
  }
  return undefined;
}

export function resolveKsyms(externs: readonly ExternSpec[], input: KsymInput): ResolvedKsyms {
  const values = new Map<string, ResolvedKsym>();
  const fdArray: number[] = [];
  const moduleIndex = new Map<KernelBtfObject, number>();
  const unresolved = (ext: ExternSpec, why: string) => {
    if (!ext.weak) throw new LoaderError("UNRESOLVED", `extern '${ext.name}' (strong): ${why}`, { symbol: ext.name });
    values.set(ext.name, { kind: "unresolved-weak" });
  };

  for (const ext of externs) {
    if (ext.kind !== "ksym" || !ext.ksym) continue;
    if (!ext.ksym.typed) {
      const hits = (input.kallsyms ?? []).filter((s) => s.name === ext.name);
      const addresses = [...new Set(hits.map((h) => h.address))];
      if (addresses.length > 1) {
        throw new LoaderError(
          "UNRESOLVED",
          `extern (ksym) '${ext.name}': resolution is ambiguous: 0x${addresses[0]!.toString(16)} or 0x${addresses[1]!.toString(16)}`,
          { symbol: ext.name },
        );
      }
      if (addresses.length === 0) unresolved(ext, "not found in kallsyms");
      else values.set(ext.name, { kind: "address", address: addresses[0]! });
      continue;
    }
    const found = findKernel(ext.name, ext.ksym.isFunc ? KIND_FUNC : KIND_VAR, input);
    if (!found) {
      unresolved(ext, `not found in kernel or module BTFs`);
      continue;
    }
    if (!ext.ksym.isFunc) {
      values.set(ext.name, { kind: "btf-var", btfId: found.id, btfFd: found.module?.fd ?? 0 });
      continue;
    }
    if (input.checkKfunc && !input.checkKfunc(ext, { btf: found.btf, funcId: found.id })) {
      throw new LoaderError(
        "UNRESOLVED",
        `extern (func ksym) '${ext.name}': func_proto [${ext.typeId}] incompatible with kernel [${found.id}]`,
        { symbol: ext.name },
      );
    }
    let fdIndex = 0;
    if (found.module) {
      fdIndex = moduleIndex.get(found.module) ?? 0;
      if (fdIndex === 0) {
        if (fdArray.length === 0) fdArray.push(0);
        if (fdArray.length >= 0x7fff) {
          throw new LoaderError("UNRESOLVED", `extern (func ksym) '${ext.name}': module BTF fd index too big`, {
            symbol: ext.name,
          });
        }
        fdIndex = fdArray.length;
        fdArray.push(found.module.fd);
        moduleIndex.set(found.module, fdIndex);
      }
    }
    values.set(ext.name, { kind: "kfunc", btfId: found.id, fdIndex, btfFd: found.module?.fd ?? 0 });
  }
  return { values, fdArray };
}
