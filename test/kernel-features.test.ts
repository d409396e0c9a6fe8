// Feature probes against ground truth from this same machine, never from the kernel's version number (configs,
// lockdown, LSMs and sandboxes decide what a kernel allows):
// - `bpftool -j feature probe kernel` (libbpf 1.1's probes) for the program types, map types and helpers it knows;
// - the thing itself done through the backend's public API (load the BTF, create the map, load the program),
//   which shares no code with the probes;
// - the kernel's own BTF, which describes the bpf_attr and enums this kernel was built with.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import {
  AttachType,
  add64Imm,
  BPFTOOL_MAP_TYPE_NAMES,
  BPFTOOL_PROG_TYPE_NAMES,
  call,
  encodeInstructions,
  exit,
  HELPER_NAMES,
  HelperId,
  type Instruction,
  JmpOp,
  jmp32Imm,
  jmpImm,
  ldMapValue,
  MapType,
  mov64Imm,
  mov64Reg,
  ProgType,
  R0,
  R1,
  R2,
  R3,
  R10,
  Size,
  stMem,
  sub64Imm,
} from "@bpfkit/asm";
import { Btf, BtfBuilder, IntEncoding, Kind, Linkage } from "@bpfkit/btf";
import { BpfSyscallError, DeviceFeatures, KernelBackend, KernelFeatures, MapFlag, ProgFlag } from "@bpfkit/kernel";
import type { MapCreateAttrs, ProgLoadAttrs } from "@bpfkit/loader";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bpfCallCount } from "../packages/kernel/src/syscall.js";
import { describeWith } from "./support/env.js";

interface FeatureProbe {
  syscall_config: Record<string, boolean>;
  program_types: Record<string, boolean>;
  map_types: Record<string, boolean>;
  helpers: Record<string, string[]>;
  misc: Record<string, boolean>;
}

// Kinds newer than libbpf 1.1's tables (from include/uapi/linux/bpf.h of later kernels).
const MAP_TYPE_CGRP_STORAGE = 32;
const MAP_TYPE_ARENA = 33;
const PROG_TYPE_NETFILTER = 32;
const ATTACH_TYPE_NETFILTER = 45;

/** Whether a named struct/union of the kernel's BTF has `member`, looking into its anonymous members. */
function hasMember(btf: Btf, typeName: string, member: string): boolean {
  const id = btf.findByName(typeName, Kind.UNION) ?? btf.findByName(typeName, Kind.STRUCT);
  if (id === undefined) throw new Error(`vmlinux has no ${typeName}`);
  const search = (type: number): boolean => {
    for (let i = 0; i < btf.vlen(type); i++) {
      const name = btf.memberName(type, i);
      if (name === member) return true;
      const inner = btf.skipModsAndTypedefs(btf.memberType(type, i));
      const kind = btf.kind(inner);
      if ((kind === Kind.STRUCT || kind === Kind.UNION) && (name === "" || btf.nameOf(inner) === "") && search(inner))
        return true;
    }
    return false;
  };
  return search(id);
}

/** The values an enum of the kernel's BTF names, by enumerator name. */
function enumValues(btf: Btf, enumName: string): Map<string, number> {
  const id = btf.findByName(enumName, Kind.ENUM);
  if (id === undefined) throw new Error(`vmlinux has no enum ${enumName}`);
  const values = new Map<string, number>();
  for (let i = 0; i < btf.vlen(id); i++) values.set(btf.enumValueName(id, i), Number(btf.enumValue(id, i)));
  return values;
}

describeWith(["root", "bpftool", "vmlinux-btf"], "kernel feature probes vs ground truth on this machine", () => {
  let oracle: FeatureProbe;
  let vmlinux: Btf;
  let backend: KernelBackend;
  const features = new KernelFeatures();
  /** errno of the last failed witness, for messages. */
  let lastErrno = "";

  beforeAll(() => {
    oracle = JSON.parse(execFileSync("bpftool", ["-j", "feature", "probe", "kernel"], { encoding: "utf8" }));
    vmlinux = Btf.parse(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));
    backend = new KernelBackend();
  });
  afterAll(() => backend?.close());

  /** Runs `act`; true when the kernel accepted it, false when bpf(2) refused it (anything else is a test bug). */
  const accepted = (act: () => { close(): void }): boolean => {
    try {
      act().close();
      return true;
    } catch (error) {
      if (!(error instanceof BpfSyscallError)) throw error;
      lastErrno = error.code;
      return false;
    }
  };
  const loads = (progType: number, insns: readonly Instruction[], extra: Partial<ProgLoadAttrs> = {}) =>
    accepted(
      () => backend.loadProgram({ progType, insns: encodeInstructions(insns, "little"), license: "GPL", ...extra }).fd,
    );
  const creates = (attrs: MapCreateAttrs) => accepted(() => backend.createMap(attrs));
  const loadsBtf = (build: (b: BtfBuilder) => void) => {
    const b = new BtfBuilder();
    build(b);
    return accepted(() => backend.loadBtf({ btf: b.encode() }).fd);
  };
  const RETURN_ZERO = [mov64Imm(R0, 0), exit()];
  const datasec = (name: string) => (b: BtfBuilder) => {
    const int = b.addInt("int", 4, IntEncoding.SIGNED);
    const v = b.addVar("x", int, Linkage.GLOBAL);
    b.addDatasec(name, 4, [{ type: v, offset: 0, size: 4 }]);
  };

  it("program types agree with bpftool for every type libbpf 1.1 names", () => {
    const ours: Record<string, boolean> = {};
    const theirs: Record<string, boolean> = {};
    BPFTOOL_PROG_TYPE_NAMES.forEach((name, type) => {
      const key = `have_${name}_prog_type`;
      if (type === 0 || !(key in oracle.program_types)) return;
      ours[name] = features.hasProgType(type);
      theirs[name] = oracle.program_types[key] as boolean;
    });
    expect(Object.keys(ours).length).toBeGreaterThan(25);
    expect(ours).toEqual(theirs);
  });

  it("map types agree with bpftool for every type libbpf 1.1 names", () => {
    const ours: Record<string, boolean> = {};
    const theirs: Record<string, boolean> = {};
    BPFTOOL_MAP_TYPE_NAMES.forEach((name, type) => {
      const key = `have_${name}_map_type`;
      if (type === 0 || !(key in oracle.map_types)) return;
      ours[name] = features.hasMapType(type);
      theirs[name] = oracle.map_types[key] as boolean;
    });
    expect(Object.keys(ours).length).toBeGreaterThan(25);
    expect(ours).toEqual(theirs);
  });

  it("XDP helpers agree with bpftool's xdp_available_helpers (libbpf 1.1 rule), ours is stricter", () => {
    const listed = new Set(oracle.helpers.xdp_available_helpers);
    // bpftool lists trace_printk, trace_vprintk and probe_write_user only with `full` (they print to dmesg).
    const hidden = new Set(["bpf_trace_printk", "bpf_trace_vprintk", "bpf_probe_write_user"]);
    const helpers = HELPER_NAMES.map((name, id) => ({ name, id })).filter(
      ({ name, id }) => id > 0 && !hidden.has(name),
    );
    const known = helpers.filter(({ id }) => features.helperSupport(ProgType.XDP, id) !== "unknown").map((h) => h.name);
    expect(known.length).toBeGreaterThan(50);
    expect(new Set(known)).toEqual(new Set([...listed].filter((n) => HELPER_NAMES.includes(n))));
    // hasHelper also drops the helpers the kernel refuses for XDP, which libbpf 1.1 still lists.
    const usable = new Set(helpers.filter(({ id }) => features.hasHelper(ProgType.XDP, id)).map((h) => h.name));
    expect(usable.has("bpf_xdp_adjust_head")).toBe(true);
    expect(usable.has("bpf_map_lookup_elem")).toBe(true);
    expect(usable.has("bpf_d_path")).toBe(false);
    expect(listed.has("bpf_d_path")).toBe(true);
    for (const name of usable) expect(listed.has(name)).toBe(true);
  });

  it("each libbpf-style feature probe matches doing the thing directly, or the kernel's own BTF", () => {
    const witnesses: Record<string, () => boolean> = {
      progName: () => loads(ProgType.SOCKET_FILTER, RETURN_ZERO, { name: "witness_name" }),
      globalData: () => {
        const map = backend.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 32, maxEntries: 1 });
        try {
          return loads(ProgType.SOCKET_FILTER, [
            ldMapValue(R1, map.value, 0),
            stMem(Size.DW, R1, 0, 42),
            ...RETURN_ZERO,
          ]);
        } finally {
          map.close();
        }
      },
      btf: () => loadsBtf((b) => b.addInt("int", 4, IntEncoding.SIGNED)),
      btfFunc: () => loadsBtf((b) => b.addFunc("f", b.addFuncProto(0, []), Linkage.STATIC)),
      btfGlobalFunc: () => loadsBtf((b) => b.addFunc("f", b.addFuncProto(0, []), Linkage.GLOBAL)),
      btfDatasec: () => loadsBtf(datasec(".data")),
      btfQmarkDatasec: () => loadsBtf(datasec("?.data")),
      btfFloat: () => loadsBtf((b) => b.addFloat("float", 4)),
      btfDeclTag: () =>
        loadsBtf((b) => b.addDeclTag("tag", b.addVar("x", b.addInt("int", 4, IntEncoding.SIGNED), Linkage.GLOBAL))),
      btfTypeTag: () => loadsBtf((b) => b.addPtr(b.addTypeTag("tag", b.addInt("int", 4, IntEncoding.SIGNED)))),
      btfEnum64: () => loadsBtf((b) => b.addEnum64("e", 8, [{ name: "x", value: 1n << 40n }])),
      arrayMmap: () =>
        creates({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: MapFlag.MMAPABLE }),
      expAttachType: () =>
        loads(ProgType.CGROUP_SOCK, RETURN_ZERO, { expectedAttachType: AttachType.CGROUP_INET_SOCK_CREATE }),
      probeReadKernel: () =>
        loads(ProgType.TRACEPOINT, [
          mov64Reg(R1, R10),
          add64Imm(R1, -8),
          mov64Imm(R2, 8),
          mov64Imm(R3, 0),
          call(HelperId.probe_read_kernel),
          exit(),
        ]),
      memcgAccount: () => loads(ProgType.CGROUP_SKB, [call(HelperId.ktime_get_coarse_ns), ...RETURN_ZERO]),
      bpfCookie: () => loads(ProgType.TRACEPOINT, [call(HelperId.get_attach_cookie), exit()]),
      // What the kernel's bpf_attr and info structs have, as its BTF describes them.
      progBindMap: () => hasMember(vmlinux, "bpf_attr", "prog_bind_map"),
      moduleBtf: () => hasMember(vmlinux, "bpf_btf_info", "kernel_btf"),
      fdArray: () => hasMember(vmlinux, "bpf_attr", "fd_array"),
      logTrueSize: () => hasMember(vmlinux, "bpf_attr", "log_true_size"),
      // bpftool's syscall and "misc" sections, the same programs written out here
      bpfSyscall: () => creates({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }),
      largeInsnLimit: () =>
        loads(ProgType.SOCKET_FILTER, [...Array.from({ length: 4096 }, () => mov64Imm(R0, 1)), exit()]),
      boundedLoops: () =>
        loads(ProgType.SOCKET_FILTER, [mov64Imm(R0, 10), sub64Imm(R0, 1), jmpImm(JmpOp.JNE, R0, 0, -2), exit()]),
      isaV2: () =>
        loads(ProgType.SOCKET_FILTER, [mov64Imm(R0, 0), jmpImm(JmpOp.JLT, R0, 0, 1), mov64Imm(R0, 1), exit()]),
      isaV3: () =>
        loads(ProgType.SOCKET_FILTER, [mov64Imm(R0, 0), jmp32Imm(JmpOp.JLT, R0, 0, 1), mov64Imm(R0, 1), exit()]),
    };
    const probed: Record<string, boolean> = {};
    const truth: Record<string, boolean> = {};
    for (const [name, witness] of Object.entries(witnesses)) {
      probed[name] = (features as unknown as Record<string, boolean>)[name] as boolean;
      truth[name] = witness();
    }
    // Every boolean feature getter has a witness here, so a new probe cannot go untested.
    const getters = Object.entries(Object.getOwnPropertyDescriptors(KernelFeatures.prototype))
      .filter(([, d]) => d.get !== undefined)
      .map(([name]) => name);
    expect(Object.keys(witnesses).sort()).toEqual(getters.sort());
    expect(probed).toEqual(truth);
  });

  it("syscall and misc probes agree with bpftool's syscall_config and misc sections", () => {
    expect({
      have_bpf_syscall: features.bpfSyscall,
    }).toEqual(oracle.syscall_config);
    expect({
      have_large_insn_limit: features.largeInsnLimit,
      have_bounded_loops: features.boundedLoops,
      have_v2_isa_extension: features.isaV2,
      have_v3_isa_extension: features.isaV3,
    }).toEqual(oracle.misc);
  });

  it("a device without offload refuses every offload probe, as bpftool's `feature probe dev lo` says", () => {
    const dev = JSON.parse(
      execFileSync("bpftool", ["-j", "feature", "probe", "dev", "lo"], { encoding: "utf8" }),
    ) as FeatureProbe;
    const lo = new DeviceFeatures(Number(readFileSync("/sys/class/net/lo/ifindex", "utf8")));
    expect({
      have_sched_cls_prog_type: lo.hasProgType(ProgType.SCHED_CLS),
      have_xdp_prog_type: lo.hasProgType(ProgType.XDP),
    }).toEqual(dev.program_types);
    expect({
      have_hash_map_type: lo.hasMapType(MapType.HASH),
      have_array_map_type: lo.hasMapType(MapType.ARRAY),
    }).toEqual(dev.map_types);
    expect({
      have_large_insn_limit: lo.misc("largeInsnLimit"),
      have_bounded_loops: lo.misc("boundedLoops"),
      have_v2_isa_extension: lo.misc("isaV2"),
      have_v3_isa_extension: lo.misc("isaV3"),
    }).toEqual(dev.misc);
    // the helper probe only counts "unknown helper" answers as missing: a load refused before verification says
    // nothing about helpers (bpftool asks only for types the device supports)
    expect(lo.hasHelper(ProgType.XDP, HelperId.map_lookup_elem)).toBe(true);
    expect(lo.hasHelper(ProgType.XDP, 9999)).toBe(true);
    expect(features.helperSupport(ProgType.XDP, 9999)).toBe("unknown");
  });

  it("probes map and program types newer than libbpf 1.1's tables as creating them directly does", () => {
    const mapTypes = enumValues(vmlinux, "bpf_map_type");
    const progTypes = enumValues(vmlinux, "bpf_prog_type");
    const intBtf = () => {
      const b = new BtfBuilder();
      b.addInt("int", 4, IntEncoding.SIGNED);
      return backend.loadBtf({ btf: b.encode() }).fd;
    };
    const cases = [
      {
        what: "map cgrp_storage",
        known: mapTypes.get("BPF_MAP_TYPE_CGRP_STORAGE") === MAP_TYPE_CGRP_STORAGE,
        probe: () => features.hasMapType(MAP_TYPE_CGRP_STORAGE),
        direct: () => {
          const btf = intBtf();
          try {
            return creates({
              mapType: MAP_TYPE_CGRP_STORAGE,
              keySize: 4,
              valueSize: 4,
              maxEntries: 0,
              flags: MapFlag.NO_PREALLOC,
              btf,
              btfKeyTypeId: 1,
              btfValueTypeId: 1,
            });
          } finally {
            btf.close();
          }
        },
      },
      {
        what: "map arena",
        known: mapTypes.get("BPF_MAP_TYPE_ARENA") === MAP_TYPE_ARENA,
        probe: () => features.hasMapType(MAP_TYPE_ARENA),
        direct: () =>
          creates({ mapType: MAP_TYPE_ARENA, keySize: 0, valueSize: 0, maxEntries: 1, flags: MapFlag.MMAPABLE }),
      },
      {
        what: "prog netfilter",
        known: progTypes.get("BPF_PROG_TYPE_NETFILTER") === PROG_TYPE_NETFILTER,
        probe: () => features.hasProgType(PROG_TYPE_NETFILTER),
        direct: () => loads(PROG_TYPE_NETFILTER, RETURN_ZERO, { expectedAttachType: ATTACH_TYPE_NETFILTER }),
      },
    ];
    for (const c of cases) {
      lastErrno = "";
      const direct = c.direct();
      expect(c.probe(), `${c.what}: probe vs direct (${direct ? "created" : `refused with ${lastErrno}`})`).toBe(
        direct,
      );
      // A kind this kernel's enum does not name cannot exist here.
      if (!c.known) expect(direct, `${c.what} is not in this kernel's enum`).toBe(false);
    }
    expect(features.hasMapType(9999)).toBe(false);
    expect(features.hasProgType(9999)).toBe(false);
    // The sleepable flag libbpf sets for syscall programs must not confuse the probe of a type that lacks it.
    expect(features.hasProgType(ProgType.SYSCALL)).toBe(
      loads(ProgType.SYSCALL, RETURN_ZERO, { flags: ProgFlag.SLEEPABLE }),
    );
  });

  it("caches: a second read makes no bpf(2) call", () => {
    const fresh = new KernelFeatures();
    const before = bpfCallCount();
    expect(fresh.hasMapType(MapType.HASH)).toBe(true);
    const probed = bpfCallCount();
    expect(probed).toBeGreaterThan(before);
    for (let i = 0; i < 1000; i++) expect(fresh.hasMapType(MapType.HASH)).toBe(true);
    expect(bpfCallCount()).toBe(probed);
  });
});
