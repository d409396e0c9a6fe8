// Program commands against the real kernel: load, test run, verifier failures, BTF with func/line info,
// pin/get, ids and info (bpftool as the oracle), and descriptor hygiene on failures.
import { execFileSync } from "node:child_process";
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import {
  add64Imm,
  BPFTOOL_MAP_TYPE_NAMES,
  BPFTOOL_PROG_TYPE_NAMES,
  encodeInstructions,
  exit,
  type Instruction,
  JmpOp,
  jmpReg,
  ldMapFd,
  ldxMem,
  MapType,
  mov64Imm,
  mov64Reg,
  ProgType,
  R0,
  R1,
  R2,
  R3,
  R4,
  Size,
  stMem,
} from "@bpfkit/asm";
import { BpfSyscallError, KernelBackend, VerifierError } from "@bpfkit/kernel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawBtf } from "../packages/kernel/src/probe-btf.js";
import { describeWith, usePinRoot } from "./support/env.js";
import { openFds } from "./support/failures.js";

const code = (insns: Instruction[]) => encodeInstructions(insns, "little");
const XDP_TX = 3;

/** XDP: if the packet has a byte, overwrite it with 0xab; return XDP_TX. */
const xdpRewrite = (): Instruction[] => [
  ldxMem(Size.W, R2, R1, 0), // data
  ldxMem(Size.W, R3, R1, 4), // data_end
  mov64Reg(R4, R2),
  add64Imm(R4, 1),
  jmpReg(JmpOp.JGT, R4, R3, 1),
  stMem(Size.B, R2, 0, 0xab),
  mov64Imm(R0, XDP_TX),
  exit(),
];

/** Reads from a scalar: "invalid mem access 'scalar'" at insn 2. */
const badAccess = (): Instruction[] => [mov64Imm(R1, 1), mov64Imm(R2, 2), ldxMem(Size.DW, R0, R2, 0), exit()];

const packet = () => Uint8Array.from({ length: 64 }, (_, i) => i);

describeWith(["root"], "kernel backend: programs", () => {
  let backend: KernelBackend;
  beforeAll(() => {
    backend = new KernelBackend();
  });
  afterAll(() => backend.close());

  it("loads an XDP program and test-runs it on a packet (retval, data_out)", () => {
    const { fd, log } = backend.loadProgram({
      progType: ProgType.XDP,
      insns: code(xdpRewrite()),
      license: "GPL",
      name: "xdp_rewrite",
    });
    using _prog = fd;
    expect(log).toEqual([]);
    const input = packet();
    const run = backend.testRun(fd, { dataIn: input, repeat: 10 });
    expect(run.retval).toBe(XDP_TX);
    expect(run.dataOut.length).toBe(64);
    expect(run.dataOut[0]).toBe(0xab);
    expect([...run.dataOut.subarray(1)]).toEqual([...input.subarray(1)]);
    expect(input[0]).toBe(0); // the input is not modified
  });

  it("socket filter returns skb->len from a test run", () => {
    const { fd } = backend.loadProgram({
      progType: ProgType.SOCKET_FILTER,
      insns: code([ldxMem(Size.W, R0, R1, 0), exit()]),
      license: "GPL",
    });
    using _prog = fd;
    // The kernel consumes the 14-byte Ethernet header (eth_type_trans) before the filter runs.
    expect(backend.testRun(fd, { dataIn: packet() }).retval).toBe(64 - 14);
  });

  it("test runs take and return a context (__sk_buff.mark in, retval and ctx out)", () => {
    const { fd } = backend.loadProgram({
      progType: ProgType.SCHED_CLS,
      insns: code([ldxMem(Size.W, R0, R1, 8), exit()]), // return skb->mark
      license: "GPL",
    });
    using _prog = fd;
    const SK_BUFF_SIZE = 192; // sizeof(struct __sk_buff); mark is at offset 8
    const ctxIn = new Uint8Array(SK_BUFF_SIZE);
    new DataView(ctxIn.buffer).setUint32(8, 42, true);
    const run = backend.testRun(fd, { dataIn: packet(), ctxIn, ctxSizeOut: SK_BUFF_SIZE });
    expect(run.retval).toBe(42);
    expect(run.ctxOut.length).toBe(SK_BUFF_SIZE);
    expect(new DataView(run.ctxOut.buffer).getUint32(8, true)).toBe(42);
    // A context field the kernel does not let user space set is refused.
    const bad = new Uint8Array(SK_BUFF_SIZE);
    bad[0] = 1; // len
    expect(() => backend.testRun(fd, { dataIn: packet(), ctxIn: bad })).toThrow(
      expect.objectContaining({ command: "BPF_PROG_TEST_RUN", code: "EINVAL" }),
    );
  });

  it("returns the verifier log when asked, at the requested level", () => {
    const { fd, log } = backend.loadProgram({
      progType: ProgType.XDP,
      insns: code(xdpRewrite()),
      license: "GPL",
      logLevel: 2,
      logSize: 256, // too small on purpose: the backend grows it on ENOSPC
    });
    fd.close();
    expect(log.some((l) => /^processed \d+ insns/.test(l))).toBe(true);
    // Level 2 prints the state at every instruction, including the store of 0xab at insn 5.
    expect(log.some((l) => /^5: \(72\) \*\(u8 \*\)\(r2 \+0\) = 171/.test(l))).toBe(true);
    expect(log.join("\n").length).toBeGreaterThan(256);
  });

  it("turns a verifier refusal into VerifierError with the log, failing insn and source line", () => {
    let error: unknown;
    try {
      backend.loadProgram({
        progType: ProgType.SOCKET_FILTER,
        insns: code(badAccess()),
        license: "GPL",
        name: "bad_access",
        sourceLines: [
          { insnIndex: 0, file: "bad.c", line: 3, column: 2, text: "int a = 1;" },
          { insnIndex: 2, file: "bad.c", line: 5, column: 9, text: "return *(long *)2;" },
        ],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VerifierError);
    const v = error as VerifierError;
    expect(v).toBeInstanceOf(BpfSyscallError);
    expect(v.code).toBe("EACCES");
    expect(v.command).toBe("BPF_PROG_LOAD");
    expect(v.insnIndex).toBe(2);
    expect(v.sourceLine?.line).toBe(5);
    expect(v.log.some((l) => l.includes("invalid mem access 'scalar'"))).toBe(true);
    expect(v.message).toContain("invalid mem access 'scalar'");
    expect(v.message).toContain("at insn 2");
    expect(v.message).toContain("bad.c:5:9: return *(long *)2;");
    expect(v.message).toMatch(/\(\d+ lines? omitted\)/);
  });

  it("loads program BTF with func_info and line_info; the kernel's log then cites our source lines", () => {
    // [1] int, [2] FUNC_PROTO int(void), [3] FUNC prog (global)
    const strings = "\0int\0prog\0prog.c\0int a = 1;\0return *(long *)2;\0";
    const s = (t: string) => strings.indexOf(`\0${t}\0`) + 1;
    const btf = rawBtf([s("int"), 0x01000000, 4, (1 << 24) | 32, 0, 0x0d000000, 1, s("prog"), 0x0c000001, 2], strings);
    const { fd: btfFd } = backend.loadBtf({ btf });
    using _btf = btfFd;
    const funcInfo = new Uint8Array(new Uint32Array([0, 3]).buffer);
    const lineInfo = new Uint8Array(
      new Uint32Array([
        0,
        s("prog.c"),
        s("int a = 1;"),
        (3 << 10) | 2,
        2,
        s("prog.c"),
        s("return *(long *)2;"),
        (5 << 10) | 9,
      ]).buffer,
    );
    const attempt = () =>
      backend.loadProgram({
        progType: ProgType.SOCKET_FILTER,
        insns: code(badAccess()),
        license: "GPL",
        progBtf: btfFd,
        funcInfo: { bytes: funcInfo, recordSize: 8 },
        lineInfo: { bytes: lineInfo, recordSize: 16 },
      });
    expect(attempt).toThrow(VerifierError);
    try {
      attempt();
    } catch (e) {
      const v = e as VerifierError;
      expect(v.log).toContain("; return *(long *)2; @ prog.c:5");
      expect(v.insnIndex).toBe(2);
    }
    // The same BTF with a valid program: the kernel keeps the func/line info.
    const { fd } = backend.loadProgram({
      progType: ProgType.SOCKET_FILTER,
      insns: code([mov64Imm(R1, 1), mov64Imm(R2, 2), mov64Imm(R0, 0), exit()]),
      license: "GPL",
      progBtf: btfFd,
      funcInfo: { bytes: funcInfo, recordSize: 8 },
      lineInfo: { bytes: lineInfo, recordSize: 16 },
    });
    using _prog = fd;
    const info = backend.progInfo(fd);
    expect(info.nrFuncInfo).toBe(1);
    expect(info.nrLineInfo).toBe(2);
    expect(info.btfId).toBe(backend.btfInfo(btfFd).id);
    // Read back, the records are the ones we passed (no instruction was rewritten, so offsets are unchanged).
    const ext = backend.progExtInfo(fd);
    expect(ext.funcInfo).toEqual({ bytes: funcInfo, recordSize: 8 });
    expect(ext.lineInfo).toEqual({ bytes: lineInfo, recordSize: 16 });
  });

  it("creates a map described by BTF key/value types", () => {
    const strings = "\0int\0";
    const { fd: btf } = backend.loadBtf({ btf: rawBtf([1, 0x01000000, 4, (1 << 24) | 32], strings) });
    using _btf = btf;
    using map = backend.createMap({
      mapType: MapType.HASH,
      keySize: 4,
      valueSize: 4,
      maxEntries: 8,
      name: "btf_map",
      btf,
      btfKeyTypeId: 1,
      btfValueTypeId: 1,
    });
    const info = backend.mapInfo(map);
    expect(info.btfKeyTypeId).toBe(1);
    expect(info.btfValueTypeId).toBe(1);
    expect(info.btfId).toBe(backend.btfInfo(btf).id);
    // A key type whose size does not match key_size is refused.
    expect(() =>
      backend.createMap({
        mapType: MapType.HASH,
        keySize: 8,
        valueSize: 4,
        maxEntries: 8,
        btf,
        btfKeyTypeId: 1,
        btfValueTypeId: 1,
      }),
    ).toThrow(BpfSyscallError);
  });

  it("a BTF the kernel refuses becomes VerifierError with the BTF log", () => {
    // INT of 3 bits total size 4 but with 40 bits: invalid.
    const bad = rawBtf([1, 0x01000000, 4, 40], "\0int\0");
    expect(() => backend.loadBtf({ btf: bad })).toThrow(
      expect.objectContaining({ name: "VerifierError", command: "BPF_BTF_LOAD" }),
    );
  });

  it("failed loads close everything they opened (counts /proc/self/fd)", () => {
    // Warm up lazily opened descriptors (koffi, probes) before counting.
    backend.features().memcgAccount;
    const before = openFds();
    for (let i = 0; i < 5; i++) {
      expect(() =>
        backend.loadProgram({ progType: ProgType.SOCKET_FILTER, insns: code(badAccess()), license: "GPL" }),
      ).toThrow(VerifierError);
      expect(() => backend.loadBtf({ btf: rawBtf([1, 0x01000000, 4, 40], "\0int\0") })).toThrow(VerifierError);
      expect(() => backend.createMap({ mapType: MapType.HASH, keySize: 0, valueSize: 4, maxEntries: 1 })).toThrow(
        BpfSyscallError,
      );
      expect(() => backend.getPinned(`/sys/fs/bpf/bpfkit-missing-${process.pid}`)).toThrow(
        expect.objectContaining({ code: "ENOENT" }),
      );
    }
    expect(openFds()).toBe(before);
  });

  it("close() releases every descriptor the backend handed out", () => {
    const own = new KernelBackend();
    const before = openFds();
    own.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const kept = own.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    own.loadProgram({ progType: ProgType.XDP, insns: code([mov64Imm(R0, 2), exit()]), license: "GPL" });
    expect(openFds()).toBe(before + 3);
    expect(own.openCount).toBe(3);
    own.close();
    expect(openFds()).toBe(before);
    expect(kept.closed).toBe(true);
    expect(() => kept.value).toThrow(/already closed/);
    kept.close(); // second close is a no-op
  });
});

describeWith(["root", "bpffs"], "kernel backend: pins", () => {
  let backend: KernelBackend;
  beforeAll(() => {
    backend = new KernelBackend();
  });
  afterAll(() => backend.close());
  const pinRoot = usePinRoot();

  it("pins a map and a program to bpffs and opens them again with OBJ_GET", () => {
    const mapPath = join(pinRoot(), "map");
    const progPath = join(pinRoot(), "prog");
    using map = backend.createMap({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: "pinned" });
    const { fd: prog } = backend.loadProgram({
      progType: ProgType.XDP,
      insns: code([mov64Imm(R0, 2), exit()]),
      license: "GPL",
    });
    using _prog = prog;
    backend.pin(map, mapPath);
    backend.pin(prog, progPath);
    {
      using again = backend.getPinned(mapPath);
      expect(backend.mapInfo(again).id).toBe(backend.mapInfo(map).id);
      expect(again.label).toBe("map");
      using progAgain = backend.getPinned(progPath);
      expect(progAgain.label).toBe("prog");
      // Map commands on a program descriptor are refused before any syscall reads map info from it.
      expect(() => backend.mapLookup(progAgain, new Uint8Array(4), new Uint8Array(4))).toThrow(/is a prog, not a map/);
      expect(backend.progInfo(progAgain).id).toBe(backend.progInfo(prog).id);
      expect(() => backend.pin(map, mapPath)).toThrow(expect.objectContaining({ code: "EEXIST" }));
    }
    // unpinned here to see OBJ_GET fail after; usePinRoot removes what a failed test leaves
    unlinkSync(mapPath);
    unlinkSync(progPath);
    expect(() => backend.getPinned(mapPath)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });
});

describeWith(["root", "bpftool"], "kernel backend: ids and info vs bpftool", () => {
  let backend: KernelBackend;
  beforeAll(() => {
    backend = new KernelBackend();
  });
  afterAll(() => backend.close());
  const bpftool = (...args: string[]) => JSON.parse(execFileSync("bpftool", ["-j", ...args], { encoding: "utf8" }));

  it("prog info matches `bpftool prog show id N`", () => {
    using map = backend.createMap({
      mapType: MapType.HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 16,
      name: "info_map",
    });
    const insns = [ldMapFd(R1, map.value), mov64Imm(R0, 2), exit()];
    const { fd } = backend.loadProgram({
      progType: ProgType.XDP,
      insns: code(insns),
      license: "GPL",
      name: "info_prog",
    });
    using _prog = fd;
    const info = backend.progInfo(fd);
    const shown = bpftool("prog", "show", "id", String(info.id));
    expect(shown.id).toBe(info.id);
    expect(shown.name).toBe(info.name);
    expect(info.name).toBe("info_prog");
    expect(shown.type).toBe(BPFTOOL_PROG_TYPE_NAMES[info.type]);
    expect(shown.tag).toBe(info.tag);
    expect(shown.gpl_compatible).toBe(info.gplCompatible);
    expect(shown.bytes_xlated).toBe(info.xlatedProgLen);
    expect(shown.bytes_jited).toBe(info.jitedProgLen);
    expect(shown.map_ids).toEqual(info.mapIds);
    expect(info.mapIds).toEqual([backend.mapInfo(map).id]);
    expect(backend.progXlatedInsns(fd).length).toBe(info.xlatedProgLen);
  });

  it("lists kernel BTF objects like `bpftool btf show` (vmlinux first, modules by name)", () => {
    const ours = backend.kernelBtfs();
    const theirs = (bpftool("btf", "show") as { id: number; name?: string; size: number; kernel: boolean }[]).filter(
      (b) => b.kernel,
    );
    expect(ours[0]?.name).toBe("vmlinux");
    expect(ours.map((b) => ({ id: b.id, name: b.name, size: b.size }))).toEqual(
      theirs.map((b) => ({ id: b.id, name: b.name ?? "", size: b.size })),
    );
  });

  it("map info matches `bpftool map show id N`", () => {
    using map = backend.createMap({
      mapType: MapType.LRU_HASH,
      keySize: 8,
      valueSize: 24,
      maxEntries: 32,
      name: "lru_info",
      flags: 0,
    });
    const info = backend.mapInfo(map);
    const shown = bpftool("map", "show", "id", String(info.id));
    expect(shown).toMatchObject({
      id: info.id,
      type: BPFTOOL_MAP_TYPE_NAMES[info.type],
      name: info.name,
      flags: info.flags,
      bytes_key: info.keySize,
      bytes_value: info.valueSize,
      max_entries: info.maxEntries,
    });
  });

  it("id iteration finds our objects and agrees with bpftool's lists", () => {
    using map = backend.createMap({
      mapType: MapType.ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
      name: "iter_map",
    });
    const { fd } = backend.loadProgram({
      progType: ProgType.XDP,
      insns: code([mov64Imm(R0, 2), exit()]),
      license: "GPL",
    });
    using _prog = fd;
    const ids = (kind: "prog" | "map" | "btf") => {
      const out: number[] = [];
      for (let id = backend.nextId(kind, 0); id !== null; id = backend.nextId(kind, id)) out.push(id);
      return out;
    };
    const progIds = ids("prog");
    const mapIds = ids("map");
    expect(progIds).toContain(backend.progInfo(fd).id);
    expect(mapIds).toContain(backend.mapInfo(map).id);
    const toolProgs = (bpftool("prog", "show") as { id: number }[]).map((p) => p.id);
    const toolMaps = (bpftool("map", "show") as { id: number }[]).map((m) => m.id);
    // Other processes may create objects between the two listings; ours must be in both.
    expect(toolProgs).toContain(backend.progInfo(fd).id);
    expect(toolMaps).toEqual(expect.arrayContaining([backend.mapInfo(map).id]));
    // vmlinux BTF is always there; open it by id and read it.
    const btfIds = ids("btf");
    using vmlinux = backend.fdById("btf", btfIds[0] as number);
    const btfInfo = backend.btfInfo(vmlinux);
    expect(btfInfo.kernelBtf).toBe(true);
    expect(btfInfo.name).toBe("vmlinux");
    const data = backend.btfData(vmlinux);
    expect(data.length).toBe(btfInfo.size);
    expect(data[0] | (data[1]! << 8)).toBe(0xeb9f);
    // Opening our program by id gives the same program.
    using byId = backend.fdById("prog", backend.progInfo(fd).id);
    expect(backend.progInfo(byId).tag).toBe(backend.progInfo(fd).tag);
  });
});

describe("kernel backend: input validation (no kernel needed)", () => {
  it("refuses instruction bytes that are not whole instructions", () => {
    const backend = new KernelBackend({ raiseMemlock: false });
    expect(() => backend.loadProgram({ progType: ProgType.XDP, insns: new Uint8Array(12), license: "GPL" })).toThrow(
      /not a non-zero multiple of 8/,
    );
    expect(() =>
      backend.loadProgram({
        progType: ProgType.XDP,
        insns: new Uint8Array(16),
        license: "GPL",
        lineInfo: { bytes: new Uint8Array(20), recordSize: 16 },
      }),
    ).toThrow(/whole number of 16-byte records/);
  });
});
