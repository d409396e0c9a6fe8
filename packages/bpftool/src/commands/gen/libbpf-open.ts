// bpf_object__open_mem as the reference bpftool's libbpf (the kernel 6.1 tree, libbpf commit 68e6f83 of
// 2022-10-14) opens an object for `gen skeleton`: our loader does the work (it follows newer libbpf), and this
// module adds what that older libbpf does differently, with the lines it prints (its default print callback
// writes warnings and info to stderr):
// - ELF checks first (not ELF, not 64-bit, not BPF, other byte order), with libbpf's messages and errnos;
// - `maps` (legacy map definitions) is refused;
// - `.bss.*` sections are skipped (only `.bss` is a data section there), and code that refers to one fails to
//   open; `.struct_ops.link` is an unrecognized data section (no maps from it);
// - every global data and kconfig map is mmapable, and hidden global variables stay global in its BTF;
// - the info lines for every section it skips.

import { Kind, Linkage } from "@bpfkit/btf";
import { Btf } from "@bpfkit/btf/btf";
import { type ElfFile, isElf, parseElf } from "@bpfkit/elf";
import type { MapSpec, ObjectSpec, ProgramSpec } from "@bpfkit/loader";
import { libbpf61MapFlags } from "../../libbpf61.js";

const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_NOBITS = 8;
const SHT_REL = 9;
const SHT_LLVM_ADDRSIG = 0x6fff4c03;
const SHF_EXECINSTR = 0x4;
const ET_REL = 1;
const EM_BPF = 247;

const ENOENT = 2;
const ENOTSUP = 95;
export const LIBBPF_ERRNO = { LIBELF: 4000, FORMAT: 4001, ENDIAN: 4003, RELOC: 4005 } as const;

/** libbpf_strerror: its own codes, else strerror(). */
export function libbpfStrerror(errno: number, strerror: (n: number) => string): string {
  switch (errno) {
    case 4000:
      return "Something wrong in libelf";
    case 4001:
      return "BPF object format invalid";
    case 4002:
      return "'version' section incorrect or lost";
    case 4003:
      return "Endian mismatch";
    case 4004:
      return "Internal error in libbpf";
    case 4005:
      return "Relocation failed";
    default:
      return strerror(errno);
  }
}

/** A refusal: libbpf's errno and the lines it printed before returning it. */
export class LibbpfOpenError extends Error {
  override readonly name = "LibbpfOpenError";
  constructor(
    readonly errno: number,
    readonly lines: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`libbpf open error ${errno}`, options);
  }
}

/** The object as the reference libbpf sees it: its maps and programs, in libbpf order. */
export interface LibbpfObject {
  readonly spec: ObjectSpec;
  readonly maps: readonly MapSpec[];
  readonly programs: readonly ProgramSpec[];
}

function ignored(type: number, size: number, name: string): boolean {
  if (type === SHT_STRTAB || type === SHT_LLVM_ADDRSIG) return true;
  if (type === SHT_PROGBITS && size === 0 && name === ".text") return true;
  if (name.startsWith(".debug_")) return true;
  if (name.startsWith(".rel")) {
    const target = name.slice(4);
    if (target.startsWith(".debug_") || target === ".BTF" || target === ".BTF.ext") return true;
  }
  return false;
}

/** bpf_object__elf_init and check_endianness. */
function elfInit(bytes: Uint8Array, path: string): ElfFile {
  const fail = (errno: number, line: string, cause?: unknown) => new LibbpfOpenError(errno, [line], { cause });
  if (!isElf(bytes) || bytes.length < 16) throw fail(LIBBPF_ERRNO.FORMAT, `elf: '${path}' is not a proper ELF object`);
  // Shorter than its class's ELF header: libelf's elf_memory() refuses it.
  if (bytes.length < (bytes[4] === 1 ? 52 : 64)) {
    throw fail(LIBBPF_ERRNO.LIBELF, `elf: failed to open ${path} as ELF file: invalid ELF file data`);
  }
  if (bytes[4] !== 2) throw fail(LIBBPF_ERRNO.FORMAT, `elf: '${path}' is not a 64-bit ELF object`);
  // e_type and e_machine, read before the section tables (libbpf checks them after, on a file libelf could read;
  // a truncated non-BPF file is the only case where the two orders differ).
  if (bytes.length >= 20) {
    const little = bytes[5] !== 2;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const type = view.getUint16(16, little);
    const machine = view.getUint16(18, little);
    if (type !== ET_REL || (machine !== 0 && machine !== EM_BPF)) {
      throw fail(LIBBPF_ERRNO.FORMAT, `elf: ${path} is not a valid eBPF object file`);
    }
  }
  let elf: ElfFile;
  try {
    elf = parseElf(bytes, { machine: "any", type: "any" });
  } catch (error) {
    // Truncated headers or tables: libelf has no usable handle by the time libbpf asks for section names.
    throw fail(
      LIBBPF_ERRNO.FORMAT,
      `elf: failed to get section names strings from ${path}: invalid \`Elf' handle`,
      error,
    );
  }
  if (elf.endianness !== "little") throw fail(LIBBPF_ERRNO.ENDIAN, `elf: endianness mismatch in ${path}.`);
  return elf;
}

/** bpf_object__elf_collect's verdicts and info lines, section by section. */
function collect(elf: ElfFile, path: string): string[] {
  const lines: string[] = [];
  const symtabs = elf.sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length > 1) throw new LibbpfOpenError(LIBBPF_ERRNO.FORMAT, [`elf: multiple symbol tables in ${path}`]);
  if (symtabs.length === 0) {
    throw new LibbpfOpenError(ENOENT, [`elf: couldn't find symbol table in ${path}, stripped object file?`]);
  }
  const isExec = (index: number) => {
    const s = elf.sections[index];
    return s !== undefined && s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0;
  };
  for (const s of elf.sections) {
    if (s.index === 0 || ignored(s.type, s.size, s.name)) continue;
    const name = s.name;
    if (name === "license" || name === "version" || name === ".maps" || name === ".BTF" || name === ".BTF.ext") {
      continue;
    }
    if (name === "maps") {
      lines.push("elf: legacy map definitions in 'maps' section are not supported by libbpf v1.0+");
      throw new LibbpfOpenError(ENOTSUP, lines);
    }
    if (s.type === SHT_SYMTAB) continue;
    if (s.type === SHT_PROGBITS && s.size > 0) {
      if ((s.flags & SHF_EXECINSTR) !== 0) continue;
      if (name === ".data" || name.startsWith(".data.") || name === ".rodata" || name.startsWith(".rodata.")) continue;
      if (name === ".struct_ops") continue;
      lines.push(`elf: skipping unrecognized data section(${s.index}) ${name}`);
    } else if (s.type === SHT_REL) {
      if (!isExec(s.info) && name !== ".rel.struct_ops" && name !== ".rel.maps") {
        const target = elf.sections[s.info]?.name ?? "<?>";
        lines.push(`elf: skipping relo section(${s.index}) ${name} for section(${s.info}) ${target}`);
      }
    } else if (!(s.type === SHT_NOBITS && name === ".bss")) {
      lines.push(`elf: skipping section(${s.index}) ${name} (size ${s.size})`);
    }
  }
  return lines;
}

/** Sections that reference libbpf 1.1-era code may not use: `.bss.*` (skipped, so no map stands behind them). */
function isSkippedData(elf: ElfFile, index: number): boolean {
  const s = elf.sections[index];
  return s !== undefined && s.type === SHT_NOBITS && s.name !== ".bss";
}

/** bpf_program__record_reloc's refusal of a relocation against a skipped section, with the function it is in. */
function checkRelocations(elf: ElfFile, lines: string[]): void {
  for (const rel of elf.relocationSections) {
    const target = rel.target;
    if (target.type !== SHT_PROGBITS || (target.flags & SHF_EXECINSTR) === 0) continue;
    for (const r of rel.relocations) {
      const sym = r.symbol;
      if (sym.shndx === 0 || !isSkippedData(elf, sym.shndx)) continue;
      const section = elf.sections[sym.shndx]!.name;
      const symName = sym.type === 3 /* STT_SECTION */ && sym.nameOffset === 0 ? section : sym.name;
      const fn = rel.symbolTable.symbols.find(
        (f) => f.type === 2 && f.shndx === target.index && f.value <= r.offset && r.offset < f.value + f.size,
      );
      lines.push(`prog '${fn?.name ?? ""}': bad map relo against '${symName}' in section '${section}'`);
      throw new LibbpfOpenError(LIBBPF_ERRNO.RELOC, lines);
    }
  }
}

/**
 * That libbpf leaves global variables of hidden visibility global in the object's BTF (later ones make them static,
 * so skeletons leave them out): the BTF with those VARs' linkage set back to what the object's .BTF says.
 */
function keepHiddenVarsGlobal(fixed: Uint8Array, elf: ElfFile): Uint8Array {
  const section = elf.sections.findLast((s) => s.name === ".BTF");
  if (section === undefined) return fixed;
  let before: Btf;
  let after: Btf;
  try {
    before = Btf.parse(section.data);
    after = Btf.parse(fixed);
  } catch {
    return fixed;
  }
  let out: Uint8Array | undefined;
  const count = Math.min(before.typeCount, after.typeCount);
  for (let id = 1; id < count; id++) {
    if (after.kind(id) !== Kind.VAR || before.kind(id) !== Kind.VAR) continue;
    if (after.linkage(id) !== Linkage.STATIC || before.linkage(id) !== Linkage.GLOBAL) continue;
    out ??= fixed.slice();
    // The linkage word follows the VAR's 12-byte head.
    const at = after.header.hdrLen + after.header.typeOff + after.starts[id - 1]! * 4 + 12;
    new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(at, Linkage.GLOBAL, true);
  }
  return out ?? fixed;
}

/**
 * Opens `bytes` as the reference libbpf would (`path`: the name libbpf uses in its messages, bpftool's object
 * name). `open` is the loader's openObject. Returns the object and the info lines libbpf printed on the way.
 */
export function openAsLibbpf(
  bytes: Uint8Array,
  path: string,
  open: (bytes: Uint8Array) => ObjectSpec,
  loaderErrno: (error: unknown) => number | undefined,
): { object: LibbpfObject; lines: string[] } {
  const elf = elfInit(bytes, path);
  const lines = collect(elf, path);
  let spec: ObjectSpec;
  try {
    spec = open(bytes);
  } catch (error) {
    const errno = loaderErrno(error);
    if (errno === undefined) throw error;
    throw new LibbpfOpenError(errno, lines, { cause: error });
  }
  checkRelocations(elf, lines);
  const btf = spec.btf && keepHiddenVarsGlobal(spec.btf, elf);
  if (btf !== spec.btf) spec = { ...spec, btf };
  const maps = spec.maps
    .filter(
      (m) => !(m.kind === "bss" && m.section !== ".bss") && !(m.kind === "struct_ops" && m.section !== ".struct_ops"),
    )
    .map((m) => ({ ...m, flags: libbpf61MapFlags(m) }));
  return { object: { spec, maps, programs: spec.programs }, lines };
}
