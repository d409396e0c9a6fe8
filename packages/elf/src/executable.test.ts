// Function offsets and USDT probe sites of binaries clang builds (test/uprobe-target.c: a PIE, a non-PIE, a PIE at
// another base, a shared library), against binutils: `objdump -F` for the file offset of each function (and the
// bytes there), `readelf -n` for the probe notes, the section table for the semaphores, and the bytes at each probe
// site (the nop the probe is).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { describeWith, useTempDir } from "../../../test/support/env.js";
import { buildUprobeTargets, type UprobeTargets } from "../../../test/support/uprobe-target.js";
import { loadFixture } from "../test-support/fixtures.js";
import { ElfError } from "./errors.js";
import { type ElfExecutable, ElfLookupError, findFunction, parseExecutable, STT_GNU_IFUNC } from "./executable.js";
import { findUsdtSites, readUsdtNotes } from "./stapsdt.js";

function load(path: string): ElfExecutable {
  return parseExecutable(new Uint8Array(readFileSync(path)), { file: path });
}

/** objdump -F's address, file offset and first instruction bytes of `func`. */
function objdumpFunction(path: string, func: string): { address: number; offset: number; bytes: number[] } {
  const text = execFileSync("objdump", ["-d", "-F", `--disassemble=${func}`, path], { encoding: "utf8" });
  const header = new RegExp(
    `^([0-9a-f]+) <${func}> \\(File Offset: 0x([0-9a-f]+)\\):\\n\\s+[0-9a-f]+:\\t([0-9a-f ]+)\\t`,
    "m",
  );
  const match = header.exec(text);
  if (!match) throw new Error(`objdump shows no ${func} in ${path}:\n${text}`);
  return {
    address: Number.parseInt(match[1]!, 16),
    offset: Number.parseInt(match[2]!, 16),
    bytes: match[3]!
      .trim()
      .split(" ")
      .map((b) => Number.parseInt(b, 16)),
  };
}

/** `readelf -n`'s stapsdt notes, in file order. */
function readelfNotes(path: string) {
  const text = execFileSync("readelf", ["-nW", path], { encoding: "utf8" });
  const notes = [];
  const pattern =
    /Provider: (\S+)\n\s+Name: (\S+)\n\s+Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)\n\s+Arguments: ?(.*)\n/g;
  for (const m of text.matchAll(pattern)) {
    notes.push({
      provider: m[1],
      name: m[2],
      pc: Number.parseInt(m[3]!, 16),
      base: Number.parseInt(m[4]!, 16),
      semaphore: Number.parseInt(m[5]!, 16),
      args: m[6]!.trim(),
    });
  }
  return notes;
}

/** sh_addr and sh_offset of a section, as `readelf -S` prints them. */
function readelfSection(path: string, name: string): { addr: number; offset: number } {
  const text = execFileSync("readelf", ["-SW", path], { encoding: "utf8" });
  const m = new RegExp(`\\s${name.replace(/\./g, "\\.")}\\s+\\S+\\s+([0-9a-f]+) ([0-9a-f]+)`).exec(text);
  if (!m) throw new Error(`no ${name} in ${path}`);
  return { addr: Number.parseInt(m[1]!, 16), offset: Number.parseInt(m[2]!, 16) };
}

function expectLookupError(run: () => unknown, code: string, symbol: string, file: string): ElfLookupError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ElfLookupError);
    expect(error).toBeInstanceOf(ElfError);
    const e = error as ElfLookupError;
    expect({ code: e.code, symbol: e.symbol, file: e.file }).toEqual({ code, symbol, file });
    expect(e.message).toContain(file);
    expect(e.message).toContain(symbol);
    return e;
  }
  throw new Error("no error");
}

describeWith(["clang", "x86_64"], "executables: function offsets and USDT sites against binutils", () => {
  const tmp = useTempDir("bpfkit-elf-exec-");
  let t: UprobeTargets;
  beforeAll(() => {
    t = buildUprobeTargets(tmp());
  });

  const executables = ["pie", "nopie", "based"] as const;

  it.each(executables)("bpfkit_work in the %s executable is where objdump -F puts it", (kind) => {
    const exe = load(t[kind]);
    const found = findFunction(exe, "bpfkit_work");
    const oracle = objdumpFunction(t[kind], "bpfkit_work");
    expect({ offset: found.offset, address: found.address, table: found.table }).toEqual({
      offset: oracle.offset,
      address: oracle.address,
      table: ".symtab",
    });
    expect([...exe.bytes.subarray(found.offset, found.offset + oracle.bytes.length)]).toEqual(oracle.bytes);
    if (kind !== "pie") expect(found.offset).not.toBe(found.address);
  });

  it("an IFUNC symbol resolves to its resolver's offset", () => {
    const exe = load(t.pie);
    const found = findFunction(exe, "bpfkit_ifunc");
    expect(found.symbol.type).toBe(STT_GNU_IFUNC);
    expect(found.offset).toBe(objdumpFunction(t.pie, "resolve_work").offset);
  });

  it("a shared library's function, by plain and by versioned name (.dynsym's version definitions)", () => {
    const exe = load(t.lib);
    const oracle = objdumpFunction(t.lib, "bpfkit_lib_work");
    expect(findFunction(exe, "bpfkit_lib_work").offset).toBe(oracle.offset);
    const versioned = findFunction(exe, "bpfkit_lib_work@@BPFKIT_1");
    expect({ offset: versioned.offset, table: versioned.table }).toEqual({ offset: oracle.offset, table: ".dynsym" });
    expect(findFunction(exe, "bpfkit_lib_work@BPFKIT_1").offset).toBe(oracle.offset);
    expectLookupError(
      () => findFunction(exe, "bpfkit_lib_work@@BPFKIT_2"),
      "NOT_FOUND",
      "bpfkit_lib_work@@BPFKIT_2",
      t.lib,
    );
  });

  it("missing functions are NOT_FOUND naming the binary and the function; a prefix is not a match", () => {
    const exe = load(t.pie);
    const e = expectLookupError(() => findFunction(exe, "no_such_function"), "NOT_FOUND", "no_such_function", t.pie);
    expect(e.message).toMatch(/in \.symtab and \.dynsym/);
    expectLookupError(() => findFunction(exe, "bpfkit_wor"), "NOT_FOUND", "bpfkit_wor", t.pie);
    // an object, not a function
    expectLookupError(() => findFunction(exe, "bpfkit_gated_semaphore"), "NOT_FOUND", "bpfkit_gated_semaphore", t.pie);
  });

  it("two non-weak definitions at different offsets are AMBIGUOUS; a weak one yields to the strong one", () => {
    const a = join(t.dir, "dup-a.c");
    const b = join(t.dir, "dup-b.c");
    writeFileSync(
      a,
      "__attribute__((used, noinline)) static int dup(int x) { return x + 1; }\nint main(void) { return 0; }\n",
    );
    writeFileSync(
      b,
      "__attribute__((used, noinline)) static int dup(int x) { return x + 2; }\n" +
        "__attribute__((weak, noinline)) int soft(int x) { return x; }\n",
    );
    const out = join(t.dir, "dup");
    execFileSync("clang-19", ["-O2", "-o", out, a, b], { stdio: "pipe" });
    const exe = load(out);
    const e = expectLookupError(() => findFunction(exe, "dup"), "AMBIGUOUS", "dup", out);
    expect(e.message).toMatch(/defined twice in \.symtab/);
    expect(findFunction(exe, "soft").offset).toBe(objdumpFunction(out, "soft").offset);
  });

  it.each([...executables, "lib" as const])("the USDT notes of %s read as readelf -n reads them", (kind) => {
    const exe = load(t[kind]);
    const notes = readUsdtNotes(exe).map(({ provider, name, pc, base, semaphore, args }) => ({
      provider,
      name,
      pc,
      base,
      semaphore,
      args,
    }));
    expect(notes).toEqual(readelfNotes(t[kind]));
    expect(notes.length).toBe(kind === "lib" ? 1 : 3);
  });

  it.each(executables)("probe sites of %s are the nops the notes point to; semaphores map through .probes", (kind) => {
    const exe = load(t[kind]);
    const ticks = findUsdtSites(exe, "bpfkit", "tick");
    expect(ticks).toHaveLength(2);
    for (const site of ticks) {
      expect(exe.bytes[site.offset]).toBe(0x90); // nop
      expect(site.semaphoreOffset).toBe(0);
      expect(site.address).toBe(site.pc); // not prelinked
    }
    const [gated] = findUsdtSites(exe, "bpfkit", "gated");
    const probes = readelfSection(t[kind], ".probes");
    expect(gated!.semaphoreOffset).toBe(gated!.semaphore - probes.addr + probes.offset);
    expect(exe.bytes[gated!.offset]).toBe(0x90);
    const [lib] = findUsdtSites(load(t.lib), "bpfkit", "lib_tick");
    expect(load(t.lib).bytes[lib!.offset]).toBe(0x90);
  });

  it("a prelinked binary (.stapsdt.base moved) has its sites moved by as much", () => {
    const bytes = new Uint8Array(readFileSync(t.pie));
    const exe = parseExecutable(bytes);
    const base = exe.sections.find((s) => s.name === ".stapsdt.base")!;
    const before = findUsdtSites(exe, "bpfkit", "tick");
    // sh_addr of .stapsdt.base, 16 bytes further (the sites stay in the text segment)
    new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(
      exe.header.shoff + base.index * 64 + 16,
      BigInt(base.addr + 16),
      true,
    );
    const after = findUsdtSites(parseExecutable(bytes), "bpfkit", "tick");
    expect(after.map((s) => s.address - s.pc)).toEqual([16, 16]);
    expect(after.map((s) => s.offset)).toEqual(before.map((s) => s.offset + 16));
  });

  it("a missing probe is NOT_FOUND naming the probes the binary has", () => {
    const e = expectLookupError(() => findUsdtSites(load(t.pie), "bpfkit", "nope"), "NOT_FOUND", "bpfkit:nope", t.pie);
    expect(e.message).toMatch(/it has bpfkit:tick, bpfkit:gated/);
  });
});

describe("executables: what is refused", () => {
  it("a relocatable object is not an executable", () => {
    expect(() => parseExecutable(loadFixture("xdp_parse.bpf.o"), { file: "xdp_parse.bpf.o" })).toThrow(
      expect.objectContaining({ code: "BAD_TYPE", message: expect.stringMatching(/'xdp_parse\.bpf\.o'.*ET_EXEC/) }),
    );
  });
});
