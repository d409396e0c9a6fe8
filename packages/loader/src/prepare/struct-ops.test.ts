// prepareStructOps against made-up kernels: the fixture's own BTF (its struct tcp_congestion_ops is vmlinux's)
// plus a `bpf_struct_ops_tcp_congestion_ops`, then one member changed per case to hit each of libbpf 1.1's
// refusals (bpf_map__init_kern_struct_ops): missing member, size mismatch, kind mismatch, not a function pointer,
// bitfield, and a kernel without the struct or its value type.
import { Btf, BtfBuilder, type CompositeType, Kind } from "@bpfkit/btf";
import { describe, expect, it } from "vitest";
import { fixtureBytes } from "../../../../test/loader-support.js";
import { LoaderError } from "../errors.js";
import { kernelBtfView } from "../load/kernel-btf.js";
import { openObject } from "../object/index.js";
import { preparePrograms } from "./prepare.js";
import { prepareStructOps, structOpsAttachments, structOpsValue } from "./struct-ops.js";

const spec = openObject(fixtureBytes("struct_ops"), { path: "struct_ops.bpf.o" });
const map = spec.maps.find((m) => m.name === "bpfkit_cc")!;
const T = map.structOps!.typeId;
const COMMON_SIZE = 8;

/** A kernel BTF: the object's types, `struct bpf_struct_ops_tcp_congestion_ops { common; data }`, and `edit`. */
function kernel(edit?: (b: BtfBuilder, struct: CompositeType) => CompositeType | undefined, withValue = true) {
  const b = new BtfBuilder({}, Btf.parse(spec.btf!));
  const struct = b.type(T) as CompositeType;
  const u32 = b.addInt("unsigned int", 4);
  if (edit) {
    const changed = edit(b, struct);
    if (changed) b.replace(T, changed);
    else b.replace(T, { ...struct, name: "renamed_ops" });
  }
  if (withValue) {
    const common = b.addStruct("bpf_struct_ops_common_value", COMMON_SIZE, [
      { name: "refcnt", type: u32, bitOffset: 0 },
      { name: "state", type: u32, bitOffset: 32 },
    ]);
    b.addStruct("bpf_struct_ops_tcp_congestion_ops", COMMON_SIZE + struct.size, [
      { name: "common", type: common, bitOffset: 0 },
      { name: "data", type: T, bitOffset: COMMON_SIZE * 8 },
    ]);
  }
  return kernelBtfView(Btf.parse(b.encode()));
}

function withMember(struct: CompositeType, name: string, change: object): CompositeType {
  return { ...struct, members: struct.members.map((m) => (m.name === name ? { ...m, ...change } : m)) };
}

function failure(vmlinux: ReturnType<typeof kernel>): LoaderError {
  try {
    prepareStructOps(spec, vmlinux);
  } catch (error) {
    if (error instanceof LoaderError) return error;
    throw error;
  }
  throw new Error("expected prepareStructOps to fail");
}

describe("prepareStructOps", () => {
  it("lays the map out for the kernel: value type and size, member copies, program slots", () => {
    const [prepared] = prepareStructOps(spec, kernel());
    expect(prepared).toMatchObject({
      map: "bpfkit_cc",
      typeName: "tcp_congestion_ops",
      kernelTypeId: T,
      valueSize: COMMON_SIZE + map.valueSize,
      link: false,
    });
    // the object's struct is vmlinux's: members keep their index, and land COMMON_SIZE bytes further
    expect(prepared!.functions).toEqual(
      map.structOps!.functions.map((f) => ({
        member: f.member,
        program: f.program,
        memberIndex: f.memberIndex,
        offset: COMMON_SIZE + f.offset,
      })),
    );
    const value = prepared!.value;
    const name = new TextDecoder().decode(value.subarray(COMMON_SIZE + 88, COMMON_SIZE + 88 + 9));
    expect(name).toBe("bpfkit_cc");
    expect(value.subarray(0, COMMON_SIZE).every((b) => b === 0)).toBe(true);
    // the function pointers stay zero until registration fills in the fds
    expect(prepared!.functions).toHaveLength(4);
    for (const f of prepared!.functions)
      expect(value.subarray(f.offset, f.offset + 8).every((b) => b === 0)).toBe(true);
    const fds = new Map(prepared!.functions.map((f, i) => [f.program, 100 + i]));
    const filled = new DataView(structOpsValue(prepared!, fds).buffer);
    for (const [i, f] of prepared!.functions.entries())
      expect(filled.getBigUint64(f.offset, true)).toBe(BigInt(100 + i));
    expect(() => structOpsValue(prepared!, new Map())).toThrow(/prog 'bpfkit_cc_\w+' \(member '\w+'\) was not loaded/);
  });

  it("programs load with attach_btf_id = the kernel struct and expected_attach_type = the kernel member index", () => {
    // the kernel struct with `init` moved first: the kernel's member index wins over the object's
    const vmlinux = kernel((_b, s) => {
      const init = s.members.find((m) => m.name === "init")!;
      return { ...s, members: [init, ...s.members.filter((m) => m !== init)] };
    });
    const prepared = prepareStructOps(spec, vmlinux);
    const attach = structOpsAttachments(prepared);
    expect(attach.get("bpfkit_cc_init")).toEqual({ attachBtfId: T, expectedAttachType: 0, map: "bpfkit_cc" });
    expect(attach.get("bpfkit_cc_ssthresh")?.expectedAttachType).toBe(1);
    // CO-RE is beside the point here: instructions as they are
    const core = {
      relocate: (o: { programs: readonly { insns: Uint8Array }[] }) => ({
        insns: o.programs.map((p) => p.insns),
        relocations: [],
      }),
    };
    const programs = preparePrograms(spec, { mapFds: {}, structOps: prepared, core }).programs;
    const init = programs.find((p) => p.name === "bpfkit_cc_init")!;
    expect({ attachBtfId: init.attachBtfId, expectedAttachType: init.expectedAttachType }).toEqual({
      attachBtfId: T,
      expectedAttachType: 0,
    });
  });

  it("a member the kernel's struct does not have", () => {
    const e = failure(kernel((_b, s) => ({ ...s, members: s.members.filter((m) => m.name !== "key") })));
    expect(e).toMatchObject({ code: "BAD_MAP", map: "bpfkit_cc" });
    expect(e.message).toBe(
      "struct_ops map 'bpfkit_cc': member 'key' of struct tcp_congestion_ops does not exist in the kernel's " +
        "struct tcp_congestion_ops",
    );
  });

  it("a member of another size in the kernel", () => {
    const e = failure(kernel((b, s) => withMember(s, "flags", { type: b.addInt("long long unsigned int", 8) })));
    expect(e.message).toMatch(/member 'flags' of struct tcp_congestion_ops is 4 bytes in the object but 8 bytes/);
  });

  it("a member of another kind in the kernel", () => {
    const e = failure(kernel((b, s) => withMember(s, "owner", { type: b.addInt("long int", 8) })));
    expect(e.message).toMatch(/member 'owner' of struct tcp_congestion_ops is a ptr in the object but a int/);
  });

  it("a program set in a member that is not a function pointer in the kernel", () => {
    const e = failure(kernel((b, s) => withMember(s, "ssthresh", { type: b.addPtr(b.addInt("int", 4)) })));
    expect(e.message).toBe(
      "struct_ops map 'bpfkit_cc': member 'ssthresh' of struct tcp_congestion_ops is set to prog " +
        "'bpfkit_cc_ssthresh' but is not a function pointer in the kernel",
    );
  });

  it("a bitfield member", () => {
    const e = failure(kernel((_b, s) => withMember({ ...s, kindFlag: true }, "key", { bitfieldSize: 3 })));
    expect(e).toMatchObject({ code: "NOT_SUPPORTED" });
    expect(e.message).toMatch(/member 'key' of struct tcp_congestion_ops is a bitfield/);
  });

  it("a kernel without the struct, or without its struct_ops value type", () => {
    expect(failure(kernel(() => undefined))).toMatchObject({
      code: "UNRESOLVED",
      message: "struct_ops map 'bpfkit_cc': struct tcp_congestion_ops is not in the kernel's BTF",
    });
    expect(failure(kernel(undefined, false)).message).toMatch(
      /struct bpf_struct_ops_tcp_congestion_ops is not in the kernel's BTF: this kernel has no struct_ops support/,
    );
  });

  it("needs a kernel view with type access; objects without struct_ops need nothing", () => {
    // a name-only view (no `types`), as a caller may build by hand
    expect(failure({ findByNameKind: () => 0 }).message).toMatch(/needs the kernel's BTF with type access/);
    expect(prepareStructOps(openObject(fixtureBytes("xdp_pass")), undefined)).toEqual([]);
  });

  it("a struct_ops program without its map's layout, or bound to no map, does not prepare", () => {
    expect(() => preparePrograms(spec, { mapFds: {} })).toThrow(
      "prog 'bpfkit_cc_init': bound to struct_ops map 'bpfkit_cc', whose kernel layout is unknown; pass " +
        "`structOps` from prepareStructOps()",
    );
    const unbound = { ...spec, maps: [] };
    expect(() => preparePrograms(unbound, { mapFds: {} })).toThrow(
      /prog 'bpfkit_cc_init': struct_ops program is not set in any struct_ops map/,
    );
  });

  it("BPF_F_LINK in the map's flags registers through a link", () => {
    const linked = { ...spec, maps: spec.maps.map((m) => ({ ...m, flags: 1 << 13 })) };
    expect(prepareStructOps(linked, kernel())[0]!.link).toBe(true);
  });

  it("kernel views carry their Btf as `types`", () => {
    const btf = Btf.parse(new BtfBuilder().encode());
    expect(kernelBtfView(btf).types).toBe(btf);
  });

  it("kernel views look names up among their own types (a module's split BTF, not vmlinux's)", () => {
    const base = new BtfBuilder();
    const int = base.addInt("int", 4, 1);
    const func = base.addFunc("in_base", base.addFuncProto(int, []));
    const struct = base.addStruct("both", 4, [{ name: "x", type: int, bitOffset: 0 }]);
    const vmlinux = base.build();
    const split = new BtfBuilder({ base: vmlinux });
    const own = split.addStruct("both", 4, [{ name: "y", type: int, bitOffset: 0 }]);
    const module = kernelBtfView(split.build());
    expect(module.findByNameKind("both", Kind.STRUCT)).toBe(own);
    expect(module.findByNameKind("in_base", Kind.FUNC)).toBe(0);
    expect(module.findByNameKind("both", Kind.UNION)).toBe(0);
    expect(kernelBtfView(vmlinux).findByNameKind("in_base", Kind.FUNC)).toBe(func);
    expect(kernelBtfView(vmlinux).findByNameKind("both", Kind.STRUCT)).toBe(struct);
  });
});
