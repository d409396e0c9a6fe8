// struct_ops maps end to end. Open: the `.struct_ops` variable becomes a map and `.rel.struct_ops` binds function
// pointers to programs, as libbpf 1.1 opens them; bad bindings are typed errors. Load: programs and map equal to
// what `bpftool prog loadall` (libbpf 1.1) makes of the same object. Registration: the map becomes a TCP
// congestion control the kernel lists (and stops listing on close), directly or through a link
// (`.struct_ops.link`), without leaking descriptors; a struct the kernel cannot take is refused before anything
// is created. The fixtures' congestion controls ("bpfkit_cc", "bpfkit_link") are registered under a machine lock.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { BtfError, Kind } from "@bpfkit/btf";
import { parseElf } from "@bpfkit/elf";
import { KernelBackend, loadCollection } from "@bpfkit/kernel";
import { BPF_F_LINK, LoaderError, openObject, setMap } from "@bpfkit/loader";
import { describe, expect, it } from "vitest";
import { kernelBtfView } from "../packages/loader/src/prepare/index.js";
import { fixtureBytes, fixturePath, useLoaderOracle, vmlinuxBtf } from "./loader-support.js";
import { describeWith, useMachineLock, usePinRoot } from "./support/env.js";
import { caught, openFds } from "./support/failures.js";
import { openMutated, seededRandom } from "./support/mutate.js";

const STRUCT_OPS = "struct_ops";
const XDP = 6;

/** What opening a malformed object may throw: a LoaderError, or @bpfkit/btf's BtfError for a malformed .BTF. */
abstract class OpenError extends Error {
  static override [Symbol.hasInstance](error: unknown): boolean {
    return error instanceof LoaderError || error instanceof BtfError;
  }
}

function bpftool<T>(...args: string[]): T {
  return JSON.parse(execFileSync("bpftool", ["-j", ...args], { encoding: "utf8" })) as T;
}

interface StructOpsDump {
  bpf_map_info: { id: number; btf_vmlinux_value_type_id: number; value_size: number };
  state: string;
  data: Record<string, unknown>;
}

/** `bpftool struct_ops dump id N`: 7.1 prints the two objects of one map without the array around them. */
function structOpsDump(id: number): StructOpsDump {
  const text = execFileSync("bpftool", ["-j", "struct_ops", "dump", "id", String(id)], { encoding: "utf8" }).trim();
  const [info, value] = JSON.parse(text.startsWith("[") ? text : `[${text}]`) as [
    { bpf_map_info: StructOpsDump["bpf_map_info"] },
    Record<string, { common: { state: string }; data: Record<string, unknown> }>,
  ];
  const kernelValue = Object.values(value)[0]!;
  return { bpf_map_info: info.bpf_map_info, state: kernelValue.common.state, data: kernelValue.data };
}

function congestionControls(): string[] {
  return readFileSync("/proc/sys/net/ipv4/tcp_available_congestion_control", "utf8").trim().split(/\s+/);
}

function registeredIds(): number[] {
  return bpftool<{ id: number }[]>("struct_ops", "show").map((s) => s.id);
}

/** Freeing a struct_ops map waits for RCU grace periods: poll a little. */
function eventually(check: () => boolean): boolean {
  for (let i = 0; i < 100; i++) {
    if (check()) return true;
    execFileSync("sleep", ["0.02"]);
  }
  return check();
}

/** Translated instructions (no maps in these programs). */
function xlated(progId: number): string[] {
  return bpftool<{ disasm: string }[]>("prog", "dump", "xlated", "id", String(progId)).map((i) => i.disasm);
}

/** A copy of a fixture whose `.rel.struct_ops` relocation #index points at another offset of `.struct_ops`. */
function withRelocationAt(fixture: string, index: number, offset: number): Uint8Array {
  const bytes = new Uint8Array(fixtureBytes(fixture));
  const rel = parseElf(bytes).sections.find((s) => s.name === ".rel.struct_ops")!;
  new DataView(bytes.buffer).setBigUint64(rel.offset + index * 16, BigInt(offset), true);
  return bytes;
}

describe("opening struct_ops maps", () => {
  const spec = openObject(fixtureBytes("struct_ops"), { path: "struct_ops.bpf.o" });

  it("each .struct_ops variable is a one-entry STRUCT_OPS map of the object's struct, functions bound by name", () => {
    expect(spec.maps).toHaveLength(1);
    const map = spec.maps[0]!;
    expect(map).toMatchObject({
      name: "bpfkit_cc",
      kind: "struct_ops",
      section: ".struct_ops",
      sectionOffset: 0,
      type: 26,
      keySize: 4,
      valueSize: 192,
      maxEntries: 1,
      flags: 0,
      btfKeyTypeId: 0,
      btfValueTypeId: 0,
    });
    expect(map.structOps?.typeName).toBe("tcp_congestion_ops");
    expect(map.structOps?.functions.map((f) => [f.member, f.program])).toEqual([
      ["ssthresh", "bpfkit_cc_ssthresh"],
      ["cong_avoid", "bpfkit_cc_cong_avoid"],
      ["undo_cwnd", "bpfkit_cc_undo_cwnd"],
      ["init", "bpfkit_cc_init"],
    ]);
    // the initial value is the variable's bytes: `.name` sits after the 11 function pointers
    expect(new TextDecoder().decode(map.contents!.subarray(88, 97))).toBe("bpfkit_cc");
    expect(spec.variables).toEqual([]);
    expect(structuredClone(spec)).toEqual(spec);
  });

  it("`.struct_ops.link` variables are maps with BPF_F_LINK", () => {
    const linked = openObject(fixtureBytes("struct_ops_link"), { path: "struct_ops_link.bpf.o" });
    expect(linked.maps.map((m) => [m.name, m.section, m.type, m.flags])).toEqual([
      ["bpfkit_link", ".struct_ops.link", 26, BPF_F_LINK],
    ]);
    expect(linked.maps[0]!.structOps?.functions.map((f) => f.program)).toEqual([
      "bpfkit_link_ssthresh",
      "bpfkit_link_cong_avoid",
      "bpfkit_link_undo_cwnd",
    ]);
  });

  it("a function pointer set to a program that is not a struct_ops program", () => {
    const e = caught(() =>
      openObject(fixtureBytes("struct_ops"), { programTypes: { bpfkit_cc_init: { type: XDP } } }),
    ) as LoaderError;
    expect(e).toBeInstanceOf(LoaderError);
    expect(e).toMatchObject({
      code: "BAD_RELOCATION",
      section: ".rel.struct_ops",
      symbol: "bpfkit_cc_init",
      map: "bpfkit_cc",
    });
    expect(e.message).toBe(
      "sec '.rel.struct_ops': relo #3 against 'bpfkit_cc_init': struct_ops map 'bpfkit_cc': member 'init' points " +
        "at prog 'bpfkit_cc_init' in sec 'struct_ops' of type 6, not a struct_ops program (SEC(\"struct_ops\"))",
    );
  });

  it("a relocation at a member that is not a function pointer, between members, or past the section", () => {
    const name = caught(() => openObject(withRelocationAt("struct_ops", 0, 88))) as LoaderError;
    expect(name).toMatchObject({ code: "BAD_RELOCATION", symbol: "bpfkit_cc_ssthresh", map: "bpfkit_cc" });
    expect(name.message).toBe(
      "sec '.rel.struct_ops': relo #0 against 'bpfkit_cc_ssthresh': struct_ops map 'bpfkit_cc': member 'name' " +
        "of struct tcp_congestion_ops is not a function pointer, only function pointers can be set to programs",
    );
    expect(caught(() => openObject(withRelocationAt("struct_ops", 0, 4))).message).toMatch(
      /struct_ops map 'bpfkit_cc': no member of struct tcp_congestion_ops at offset 4$/,
    );
    // past the section: the ELF reader refuses it before the loader looks
    expect(caught(() => openObject(withRelocationAt("struct_ops", 0, 192)))).toMatchObject({ code: "ELF" });
  });

  it("max_entries and pinning of a struct_ops map cannot be edited; flags can", () => {
    expect(() => setMap(spec, "bpfkit_cc", { maxEntries: 2 })).toThrow(
      "map 'bpfkit_cc': a .struct_ops struct_ops map has one entry and is not pinned",
    );
    expect(setMap(spec, "bpfkit_cc", { flags: BPF_F_LINK }).maps[0]!.flags).toBe(BPF_F_LINK);
  });
});

describe("fuzzed struct_ops objects", () => {
  it("byte mutations of .struct_ops, .rel.struct_ops and .BTF give a spec, a LoaderError or a BtfError", () => {
    const rand = seededRandom(0x5eed5eed);
    const outcomes = { ok: 0, error: 0 };
    for (const fixture of ["struct_ops", "struct_ops_link", "struct_ops_bad"]) {
      const original = fixtureBytes(fixture);
      const ranges = parseElf(original)
        .sections.filter((s) => s.name.includes("struct_ops") || s.name === ".BTF" || s.name === ".symtab")
        .map((s) => [s.offset, s.size] as const);
      const open = (bytes: Uint8Array) => openObject(bytes, { allowUnknownSections: true });
      openMutated(fixture, original, rand, { rounds: 200, maxFlips: 4, ranges }, open, OpenError, outcomes);
    }
    expect(outcomes.ok).toBeGreaterThan(50);
    expect(outcomes.error).toBeGreaterThan(50);
  });
});

describeWith(["libbpf-dev"], "struct_ops open vs libbpf 1.1", () => {
  const oracle = useLoaderOracle();

  it("same programs (struct_ops type, object member index as attach type) and map", () => {
    const path = fixturePath("struct_ops");
    const spec = openObject(fixtureBytes("struct_ops"), { path, sectionTable: "1.1" });
    const ref = oracle.open(path);
    expect(ref.programs.length).toBeGreaterThan(0);
    expect(spec.programs.map((p) => [p.name, p.section, p.type, p.expectedAttachType, p.slotCount])).toEqual(
      ref.programs.map((p) => [p.name, p.section, p.type, p.attach, p.insn_cnt]),
    );
    // libbpf 1.1's bpf_map__initial_value has nothing for struct_ops maps; we keep the variable's bytes
    expect(spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags])).toEqual(
      ref.maps.map((m) => [m.name, m.type, m.key_size, m.value_size, m.max_entries, m.flags]),
    );
  });
});

describeWith(["bpftool", "root", "bpffs", "vmlinux-btf", "libbpf-dev"], "struct_ops in the kernel", () => {
  // The kernel README example registers "bpfkit_cc" too.
  useMachineLock("struct_ops-bpfkit_cc");
  const path = fixturePath("struct_ops");
  const pinRoot = usePinRoot();
  const oracle = useLoaderOracle();

  it("loads as bpftool prog loadall does: translated programs, attach ids, map type, sizes, flags, value type", () => {
    // no LIBBPF_PIN_BY_NAME maps in this object: bpftool's pins all go where it is told
    const ref = `${pinRoot()}/libbpf`;
    execFileSync("bpftool", ["prog", "loadall", path, ref, "pinmaps", `${ref}/maps`]);
    const backend = new KernelBackend();
    try {
      const spec = openObject(fixtureBytes("struct_ops"), { path });
      const theirs = new Map(
        spec.programs.map((p) => {
          const id = bpftool<{ id: number }>("prog", "show", "pinned", `${ref}/${p.name}`).id;
          using fd = backend.fdById("prog", id);
          const info = backend.progInfo(fd);
          return [p.name, { type: info.type, attachBtfId: info.attachBtfId, insns: xlated(id) }];
        }),
      );
      expect(theirs.size).toBeGreaterThan(0);
      const theirMap = bpftool<Record<string, unknown>>("map", "show", "pinned", `${ref}/maps/bpfkit_cc`);
      const theirValueType = structOpsDump(theirMap.id as number).bpf_map_info.btf_vmlinux_value_type_id;

      const before = openFds();
      {
        using ours = loadCollection(path);
        expect([...ours.programs.keys()]).toEqual([...theirs.keys()]);
        for (const [name, program] of ours.programs) {
          const info = program.info();
          expect({ name, type: info.type, attachBtfId: info.attachBtfId, insns: xlated(info.id) }).toEqual({
            name,
            ...theirs.get(name),
          });
        }
        const map = ours.map("bpfkit_cc");
        const mine = bpftool<Record<string, unknown>>("map", "show", "id", String(map.info().id));
        const fields = ["name", "type", "flags", "bytes_key", "bytes_value", "max_entries", "frozen"] as const;
        const pick = (m: Record<string, unknown>) => Object.fromEntries(fields.map((f) => [f, m[f]]));
        expect(pick(mine)).toEqual(pick(theirMap));
        // the value is this kernel's struct bpf_struct_ops_tcp_congestion_ops (common header + the ops)
        const btf = vmlinuxBtf();
        const kernelValue = kernelBtfView(btf).findByNameKind("bpf_struct_ops_tcp_congestion_ops", Kind.STRUCT);
        expect(kernelValue).toBeGreaterThan(0);
        const valueSize = btf.sizeField(kernelValue);
        expect(mine).toMatchObject({ type: STRUCT_OPS, bytes_value: valueSize });
        const valueType = structOpsDump(map.info().id).bpf_map_info.btf_vmlinux_value_type_id;
        expect(valueType).toBeGreaterThan(0);
        expect(valueType).toBe(theirValueType);
        expect(map.info().btfVmlinuxValueTypeId).toBe(valueType);
        // libbpf 1.1 after load: kernel member indices as expected attach types, kernel value size
        const loaded = oracle.load(path, `${pinRoot()}/oracle`);
        expect(loaded.maps[0]?.value_size).toBe(valueSize);
        expect(loaded.programs.map((p) => p.name)).toEqual([...ours.programs.keys()]);
        for (const p of loaded.programs) {
          const binding = ours.spec.maps[0]!.structOps!.functions.find((f) => f.program === p.name);
          expect(binding?.memberIndex).toBe(p.attach);
        }
      }
      expect(openFds()).toBe(before);
    } finally {
      backend.close();
    }
  });

  it("registers the congestion control, and close() unregisters it; no descriptor leaks", () => {
    // the value bpftool registers, for comparison (prog ids aside)
    execFileSync("bpftool", ["struct_ops", "register", path], { stdio: "pipe" });
    let reference: Record<string, unknown>;
    try {
      const id = bpftool<{ id: number; name: string }[]>("struct_ops", "show").find((s) => s.name === "bpfkit_cc")!.id;
      reference = structOpsDump(id).data;
    } finally {
      execFileSync("bpftool", ["struct_ops", "unregister", "name", "bpfkit_cc"], { stdio: "pipe" });
    }
    expect(eventually(() => !congestionControls().includes("bpfkit_cc"))).toBe(true);
    const withoutIds = (data: Record<string, unknown>) =>
      JSON.parse(JSON.stringify(data).replace(/\/prog_id:\d+/g, "")) as Record<string, unknown>;

    const before = openFds();
    let mapId = 0;
    {
      using objects = loadCollection(path);
      mapId = objects.map("bpfkit_cc").info().id;
      expect(congestionControls()).not.toContain("bpfkit_cc");
      const registration = objects.registerStructOps("bpfkit_cc");
      expect(registration).toMatchObject({ map: "bpfkit_cc", link: undefined, closed: false });
      expect(bpftool<unknown[]>("struct_ops", "show")).toContainEqual({
        id: mapId,
        name: "bpfkit_cc",
        kernel_struct_ops: "tcp_congestion_ops",
      });
      expect(congestionControls()).toContain("bpfkit_cc");
      const dump = structOpsDump(mapId);
      expect(dump.state).toBe("BPF_STRUCT_OPS_STATE_INUSE");
      const initId = objects.program("bpfkit_cc_init").info().id;
      expect(dump.data.init).toBe(`void (struct sock *) bpfkit_cc_init/prog_id:${initId}`);
      expect(withoutIds(dump.data)).toEqual(withoutIds(reference));

      registration.close();
      expect(registration.closed).toBe(true);
      expect(congestionControls()).not.toContain("bpfkit_cc");
      expect(structOpsDump(mapId).state).not.toBe("BPF_STRUCT_OPS_STATE_INUSE");
      registration.close(); // idempotent
    }
    expect(openFds()).toBe(before);
    expect(eventually(() => !registeredIds().includes(mapId))).toBe(true);
  });

  it("a .struct_ops.link map registers through a link; closing the collection unregisters what is left", () => {
    const before = openFds();
    const backend = new KernelBackend();
    const objects = loadCollection(fixturePath("struct_ops_link"), { backend });
    try {
      const map = objects.map("bpfkit_link");
      expect(bpftool<{ flags: number }>("map", "show", "id", String(map.info().id)).flags).toBe(BPF_F_LINK);
      const first = objects.registerStructOps("bpfkit_link");
      const linkId = backend.linkInfo(first.link!).id;
      const links = () => bpftool<{ id: number; type: string }[]>("link", "show");
      expect(links()).toContainEqual(expect.objectContaining({ id: linkId, type: STRUCT_OPS }));
      expect(congestionControls()).toContain("bpfkit_link");
      first.close();
      expect(first.link!.closed).toBe(true);
      expect(congestionControls()).not.toContain("bpfkit_link");
      expect(eventually(() => !links().some((l) => l.id === linkId))).toBe(true);
      // registered again through a new link (the value is written once); left for close() to undo
      const second = objects.registerStructOps("bpfkit_link");
      expect(congestionControls()).toContain("bpfkit_link");
      objects.close();
      expect(second.closed).toBe(true);
      expect(congestionControls()).not.toContain("bpfkit_link");
    } finally {
      objects.close();
      backend.close();
    }
    expect(openFds()).toBe(before);
  });

  it("a struct the kernel cannot take is refused before anything is created (libbpf 1.1 refuses it too)", () => {
    const bad = fixturePath("struct_ops_bad");
    const before = openFds();
    const e = caught(() => loadCollection(bad)) as LoaderError;
    expect(e).toBeInstanceOf(LoaderError);
    expect(e).toMatchObject({ code: "BAD_MAP", map: "bpfkit_bad" });
    expect(e.message).toBe(
      "struct_ops map 'bpfkit_bad': member 'bpfkit_not_in_kernel' of struct tcp_congestion_ops does not exist in " +
        "the kernel's struct tcp_congestion_ops",
    );
    expect(openFds()).toBe(before);
    expect(oracle.load(bad, `${pinRoot()}/oracle`).error).toBe(-95); // libbpf: "Cannot find member", -EOPNOTSUPP
    expect(() => loadCollection(bad, { programs: [] })).toThrow(/bpfkit_not_in_kernel/);
    expect(congestionControls()).not.toContain("bpfkit_bad");
  });

  it("registering an unknown name names the struct_ops maps there are", () => {
    using objects = loadCollection(path);
    expect(() => objects.registerStructOps("nope")).toThrow("no struct_ops map named 'nope' (have: bpfkit_cc)");
  });
});
