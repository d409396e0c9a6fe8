// preparePrograms vs libbpf 1.1 bpf_object__load: the final instructions of every program (subprograms appended,
// calls fixed, maps/global data/kconfig/ksyms/kfuncs/CO-RE relocated) must equal libbpf's, map fds aside.
import { expect, it } from "vitest";
import { openObject } from "../packages/loader/src/object/index.js";
import { prepareExterns, preparePrograms } from "../packages/loader/src/prepare/index.js";
import {
  coreOptions,
  FIXTURES,
  fixtureBytes,
  fixturePath,
  hex,
  kernelFacts,
  normalizeFds,
  slotsHex,
  useLoaderOracle,
} from "./loader-support.js";
import { describeWith, usePinRoot } from "./support/env.js";

describeWith(["libbpf-dev", "root", "bpffs", "vmlinux-btf"], "preparePrograms vs libbpf 1.1 load", () => {
  const oracle = useLoaderOracle();
  const pinRoot = usePinRoot();

  // loader_ksym: a typed per-CPU ksym this kernel refuses to load (no CONFIG_KALLSYMS_ALL); libbpf still
  // reports its relocated instructions.
  for (const fixture of [...FIXTURES, "loader_ksym"]) {
    it(fixture, () => {
      const path = fixturePath(fixture);
      // `sections` holds programs a kernel may refuse (this one: fentry/fexit/lsm, EPERM), which would fail
      // libbpf's whole load: learnt from libbpf one program at a time, and skipped on both sides
      const spec = openObject(fixtureBytes(fixture), { path });
      const all = spec.programs.map((p) => p.name);
      const skip = fixture === "sections" ? [...oracle.refused(path, pinRoot(), all).keys()] : [];
      const facts = kernelFacts();
      const externs = prepareExterns(spec, facts);
      const mapFds = new Map(spec.maps.map((m, i) => [m.name, 1000 + i]));
      const programs = spec.programs.filter((p) => p.autoload && !skip.includes(p.name)).map((p) => p.name);
      const prepared = preparePrograms(spec, {
        mapFds,
        externs,
        programs,
        core: coreOptions(),
        kernelVersion: facts.kernelVersion,
      });
      // by-name maps pin under the pin root, which goes after the test
      const ref = oracle.load(path, pinRoot(), { skip, keepGoing: fixture === "loader_ksym" });
      expect(ref.error).toBeUndefined();
      // .kconfig contents after libbpf resolved the externs from this machine's config
      const kconfigRef = ref.maps.find((m) => m.name.endsWith(".kconfig"));
      expect(hex(externs.kconfig)).toBe(kconfigRef?.initial ?? "");
      const refLoaded = ref.programs.filter((p) => p.autoload);
      expect(prepared.programs.map((p) => p.name)).toEqual(refLoaded.map((p) => p.name));
      expect(prepared.programs.length).toBeGreaterThan(0);
      for (const [i, p] of prepared.programs.entries()) {
        expect({ name: p.name, insns: normalizeFds(slotsHex(p.insns)) }).toEqual({
          name: p.name,
          insns: normalizeFds(refLoaded[i]!.insns!),
        });
      }
    });
  }
});

describeWith(["vmlinux-btf"], "preparePrograms on big-endian objects", () => {
  it("links and relocates a bpfeb object to the same instructions as its bpfel twin", async () => {
    const { decodeInstructions } = await import("@bpfkit/asm");
    // subprogs has no byte-order-dependent C (globals has bitfields, xdp_parse htons constants)
    for (const name of ["subprogs"]) {
      const facts = kernelFacts();
      const prepare = (file: string) => {
        const spec = openObject(fixtureBytes(file), { path: file });
        const mapFds = new Map(spec.maps.map((m, i) => [m.name, 1000 + i]));
        const out = preparePrograms(spec, { mapFds, externs: prepareExterns(spec, facts), core: coreOptions() });
        return out.programs.map((p) => ({
          name: p.name,
          insns: decodeInstructions(p.insns, spec.endianness, { lenient: true }),
          funcInfo: p.funcInfo?.bytes.length,
          lineInfo: p.lineInfo?.bytes.length,
        }));
      };
      expect(prepare(`${name}.bpfeb.o`)).toEqual(prepare(`${name}.bpf.o`));
    }
    // globals: bitfield code differs by byte order, but every map reference is relocated the same way
    const refs = (file: string) => {
      const spec = openObject(fixtureBytes(file), { path: file });
      const mapFds = new Map(spec.maps.map((m, i) => [m.name, 1000 + i]));
      const [p] = preparePrograms(spec, {
        mapFds,
        externs: prepareExterns(spec, kernelFacts()),
        core: coreOptions(),
      }).programs;
      return decodeInstructions(p!.insns, spec.endianness, { lenient: true })
        .filter((i) => i.opcode === 0x18)
        .map((i) => [i.src, i.imm, i.immHi]);
    };
    expect(refs("globals.bpfeb.o")).toEqual(refs("globals.bpf.o"));
  });
});

it("program flags from the SEC() name: BPF_F_SLEEPABLE for syscall, BPF_F_XDP_HAS_FRAGS for xdp.frags", () => {
  // libbpf 1.1 sets these in the load attributes only (libbpf_prepare_prog_load), where its API cannot show them
  const spec = openObject(fixtureBytes("sections"), { path: fixturePath("sections") });
  const names = ["sec_syscall", "sec_xdp_frags", "sec_xdp", "sec_socket", "sec_iter_task"];
  const prepared = preparePrograms(spec, { mapFds: new Map(), externs: prepareExterns(spec, {}), programs: names });
  const flags = Object.fromEntries(prepared.programs.map((p) => [p.name, p.flags]));
  expect(flags).toEqual({ sec_syscall: 1 << 4, sec_xdp_frags: 1 << 5, sec_xdp: 0, sec_socket: 0, sec_iter_task: 0 });
});
