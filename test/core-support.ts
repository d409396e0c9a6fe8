// Test support for the CO-RE tests: a small ELF64 reader (sections + function symbols) so the CO-RE engine can be
// tested on real clang objects without waiting for the loader, oracles from bpftool and libbpf, and fixture builds.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Btf } from "../packages/btf/src/btf.js";
import {
  btfTarget,
  type CoreProgram,
  type CoreReloSection,
  type CoreTargets,
  parseCoreRelos,
} from "../packages/btf/src/core/index.js";
import { useTempDir } from "./support/env.js";

export const fixturesDir = fileURLToPath(new URL("./fixtures/", import.meta.url));

export interface TestObject {
  readonly littleEndian: boolean;
  readonly sections: Map<string, Uint8Array>;
  readonly programs: CoreProgram[];
  readonly btf: Btf;
  readonly coreSections: CoreReloSection[];
}

/** Reads what CO-RE needs from a BPF ELF object: .BTF, .BTF.ext and each function in an executable section. */
export function readObject(path: string): TestObject {
  const bytes = new Uint8Array(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = bytes[5] === 1;
  const shoff = Number(view.getBigUint64(0x28, le));
  const shentsize = view.getUint16(0x3a, le);
  const shnum = view.getUint16(0x3c, le);
  const shstrndx = view.getUint16(0x3e, le);
  const headers = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    return {
      name: view.getUint32(at, le),
      type: view.getUint32(at + 4, le),
      flags: Number(view.getBigUint64(at + 8, le)),
      offset: Number(view.getBigUint64(at + 0x18, le)),
      size: Number(view.getBigUint64(at + 0x20, le)),
      link: view.getUint32(at + 0x28, le),
    };
  });
  const cstr = (table: number, off: number) => {
    const start = headers[table]!.offset + off;
    let end = start;
    while (bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(start, end));
  };
  const names = headers.map((h) => cstr(shstrndx, h.name));
  const sections = new Map<string, Uint8Array>();
  headers.forEach((h, i) => {
    if (h.type !== 8) sections.set(names[i]!, bytes.subarray(h.offset, h.offset + h.size));
  });
  const programs: CoreProgram[] = [];
  const symtab = headers.findIndex((h) => h.type === 2);
  if (symtab >= 0) {
    const st = headers[symtab]!;
    for (let at = st.offset; at < st.offset + st.size; at += 24) {
      const info = bytes[at + 4]!;
      const shndx = view.getUint16(at + 6, le);
      if ((info & 0xf) !== 2 || shndx === 0 || shndx >= shnum) continue; // STT_FUNC in a real section
      const sec = headers[shndx]!;
      if ((sec.flags & 0x4) === 0) continue; // SHF_EXECINSTR
      const value = Number(view.getBigUint64(at + 8, le));
      const size = Number(view.getBigUint64(at + 16, le));
      programs.push({
        name: cstr(st.link, view.getUint32(at, le)),
        section: names[shndx]!,
        sectionInsnOffset: value / 8,
        insns: bytes.subarray(sec.offset + value, sec.offset + value + size),
      });
    }
  }
  programs.sort((a, b) =>
    a.section === b.section ? a.sectionInsnOffset - b.sectionInsnOffset : a.section < b.section ? -1 : 1,
  );
  const btf = Btf.parse(sections.get(".BTF")!);
  const ext = sections.get(".BTF.ext");
  return { littleEndian: le, sections, programs, btf, coreSections: ext ? parseCoreRelos(ext, btf) : [] };
}

let vmlinux: Btf | undefined;
export function vmlinuxBtf(): Btf {
  vmlinux ??= Btf.parse(new Uint8Array(readFileSync("/sys/kernel/btf/vmlinux")));
  return vmlinux;
}

export function vmlinuxTargets(): CoreTargets {
  const btf = vmlinuxBtf();
  return { vmlinux: btfTarget("vmlinux", btf) };
}

/** Target from a raw BTF file, like libbpf's btf_custom_path. */
export function customTargets(btfBytes: Uint8Array): CoreTargets {
  const btf = Btf.parse(btfBytes);
  return { custom: btfTarget("vmlinux", btf) };
}

// Registered while the importing test file is collected, so its hooks belong to that file: the directory is made
// before the file's tests and removed with everything in it after them. Read it only in hooks and tests.
const scratch = useTempDir("bpfkit-core-");

/** The importing test file's temporary directory (compiled twins, harness binaries, written BTF). */
export function scratchDir(): string {
  return scratch();
}

/** Compiles a fixture source (optionally with extra -D flags) into the scratch dir with build.sh's flags; cached. */
export function compileFixture(source: string, defines: string[] = [], suffix = "o", target = "bpf"): string {
  const out = join(
    scratchDir(),
    `${source.replace(/\.c$/, "")}${defines.map((d) => `-${d}`).join("")}.${target}.${suffix}`,
  );
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(join(fixturesDir, source)).mtimeMs) return out;
  execFileSync("bash", [join(fixturesDir, "build.sh"), source, out, target, ...defines], { stdio: "pipe" });
  return out;
}

/** The raw .BTF of an object, as `llvm-objcopy --dump-section` would give it (usable as a custom target BTF). */
export function btfOf(objectPath: string): Uint8Array {
  return readObject(objectPath).sections.get(".BTF")!;
}

/** libbpf's debug lines about CO-RE (without "libbpf: ") from `bpftool -d prog loadall`. */
export function bpftoolCoreLog(objectPath: string, pinDir: string): { lines: string[]; ok: boolean; output: string } {
  try {
    const run = spawnSync("bpftool", ["-d", "prog", "loadall", objectPath, pinDir], { encoding: "utf8" });
    const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
    return { lines: coreLines(output), ok: run.status === 0, output };
  } finally {
    rmSync(pinDir, { recursive: true, force: true });
  }
}

const CORE_LINE =
  /^libbpf: (prog '[^']*': relo #\d+: .*|CO-RE relocating .*|sec '[^']*': (found \d+ CO-RE relocations|skipping CO-RE relocation .*))$/;

export function coreLines(log: string): string[] {
  return log
    .split("\n")
    .map((line) => CORE_LINE.exec(line)?.[1])
    .filter((line): line is string => line !== undefined);
}
