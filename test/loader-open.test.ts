// openObject vs libbpf 1.1's bpf_object__open_file on every fixture: programs (names, sections, types, attach
// types, instruction counts, autoload) and maps (names, types, sizes, flags, BTF type ids, pinning, contents).
import { describe, expect, it } from "vitest";
import { openObject } from "../packages/loader/src/object/index.js";
import { FIXTURES, fixtureBytes, fixturePath, hex, useLoaderOracle } from "./loader-support.js";
import { describeWith } from "./support/env.js";

describeWith(["libbpf-dev"], "openObject vs libbpf 1.1 open", () => {
  const oracle = useLoaderOracle();

  for (const fixture of FIXTURES) {
    it(fixture, () => {
      const path = fixturePath(fixture);
      const spec = openObject(fixtureBytes(fixture), { path, sectionTable: "1.1" });
      const ref = oracle.open(path);
      expect(ref.error).toBeUndefined();
      expect(ref.programs.length).toBeGreaterThan(0);
      expect(spec.name).toBe(ref.name);
      // no 'version' section in our fixtures: libbpf 1.1 fills in the running kernel's version at open; we keep 0
      // in the spec and take the kernel version as a prepare input (compared with libbpf's in loader-prepare)
      expect(spec.kernelVersion).toBe(0);
      expect(ref.kversion).toBeGreaterThan(0);
      // libbpf lists .text subprograms among its programs only when they are entry points; it never lists them
      // as programs when other functions exist, so compare entry programs only.
      expect(
        spec.programs.map((p) => ({
          name: p.name,
          section: p.section,
          type: p.type,
          attach: p.expectedAttachType,
          autoload: p.autoload,
          insn_cnt: p.slotCount,
        })),
      ).toEqual(
        ref.programs.map((p) => ({
          name: p.name,
          section: p.section,
          type: p.type,
          attach: p.attach,
          autoload: p.autoload,
          insn_cnt: p.insn_cnt,
        })),
      );
      expect(
        spec.maps.map((m) => ({
          name: m.name,
          type: m.type,
          key_size: m.keySize,
          value_size: m.valueSize,
          max_entries: m.maxEntries,
          flags: m.flags,
          numa_node: m.numaNode,
          map_extra: Number(m.mapExtra),
          key_type_id: m.btfKeyTypeId,
          value_type_id: m.btfValueTypeId,
          pinned: m.pinning === "by-name",
          initial: hex(m.contents),
        })),
      ).toEqual(
        ref.maps.map((m) => ({
          name: m.name,
          type: m.type,
          key_size: m.key_size,
          value_size: m.value_size,
          max_entries: m.max_entries,
          flags: m.flags,
          numa_node: m.numa_node,
          map_extra: m.map_extra,
          key_type_id: m.key_type_id,
          value_type_id: m.value_type_id,
          pinned: m.pin_path !== "",
          initial: m.initial,
        })),
      );
    });
  }
});

describe("openObject details", () => {
  it("opens big-endian objects to the same model as little-endian ones", () => {
    for (const name of ["xdp_parse", "subprogs", "globals"]) {
      const le = openObject(fixtureBytes(`${name}.bpf.o`), { path: `${name}.bpf.o` });
      const be = openObject(fixtureBytes(`${name}.bpfeb.o`), { path: `${name}.bpfeb.o` });
      expect(be.endianness).toBe("big");
      const shape = (s: typeof le) => ({
        // instructions themselves differ where the C code depends on byte order (htons constants)
        programs: s.programs.map((p) => [p.name, p.type, p.slotCount, p.relocations, p.instructions.length]),
        subprograms: s.subprograms.map((p) => [p.name, p.slotCount, p.relocations]),
        maps: s.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.flags, m.contents?.length]),
        variables: s.variables,
      });
      expect(shape(be)).toEqual(shape(le));
    }
  });

  it("records subprograms, callbacks and relocations symbolically", () => {
    const spec = openObject(fixtureBytes("subprogs"), { path: "subprogs.bpf.o" });
    expect(spec.subprograms.map((s) => s.name).sort()).toEqual(["add_one", "global_scale", "sum_to", "twice"]);
    expect(spec.programs.length).toBeGreaterThan(0);
    const kinds = new Set(spec.programs.flatMap((p) => p.relocations.map((r) => r.target.kind)));
    const subKinds = new Set(spec.subprograms.flatMap((p) => p.relocations.map((r) => r.target.kind)));
    expect([...new Set([...kinds, ...subKinds])].sort()).toEqual(["call", "subprog-addr"]);
    for (const p of spec.programs) expect(p.funcInfo[0]).toMatchObject({ insnOff: 0 });
  });

  it("records map-in-map and prog-array .values slots", () => {
    const spec = openObject(fixtureBytes("maps"), { path: "maps.bpf.o" });
    const outer = spec.maps.find((m) => m.name === "outer")!;
    expect(outer.slots).toEqual([
      { index: 0, map: "inner_a" },
      { index: 2, map: "inner_b" },
    ]);
    expect(outer.innerMap).toMatchObject({ name: "outer.inner", type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(spec.maps.find((m) => m.name === "jump_table")!.slots).toEqual([{ index: 1, program: "tail_target" }]);
  });

  it("lays out .kconfig externs like libbpf and types the ksyms", () => {
    const spec = openObject(fixtureBytes("externs"), { path: "externs.bpf.o" });
    const kconfig = spec.externs
      .filter((e) => e.kind === "kconfig")
      .map((e) => [e.name, e.kconfig!.type, e.kconfig!.offset]);
    expect(kconfig).toEqual([
      ["CONFIG_BPFKIT_DOES_NOT_EXIST", "int", 0],
      ["CONFIG_HZ", "int", 4],
      ["CONFIG_NET_SCHED", "tristate", 8],
      ["LINUX_KERNEL_VERSION", "int", 12],
      ["CONFIG_BPF_SYSCALL", "bool", 16],
      ["LINUX_HAS_BPF_COOKIE", "bool", 17],
    ]);
    const ksyms = spec.externs.filter((e) => e.kind === "ksym").map((e) => [e.name, e.weak, e.ksym]);
    expect(ksyms).toEqual([
      ["bpf_prog_put", false, { isFunc: false, typed: false }],
      ["bpf_rcu_read_lock", true, { isFunc: true, typed: true }],
      ["bpf_rcu_read_unlock", true, { isFunc: true, typed: true }],
      ["bpf_task_acquire", false, { isFunc: true, typed: true }],
      ["bpf_task_release", false, { isFunc: true, typed: true }],
    ]);
  });

  it("derives the object name like libbpf", () => {
    expect(openObject(fixtureBytes("xdp_pass"), { path: "/a/b/xdp_pass.bpf.o" }).name).toBe("xdp_pass");
    expect(openObject(fixtureBytes("xdp_pass"), { name: "custom" }).name).toBe("custom");
  });

  it("produces a spec that survives structuredClone unchanged", () => {
    for (const fixture of FIXTURES) {
      const spec = openObject(fixtureBytes(fixture), { path: fixturePath(fixture) });
      expect(structuredClone(spec)).toEqual(spec);
    }
  });
});
