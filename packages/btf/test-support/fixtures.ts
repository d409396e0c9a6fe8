// Fixture access for the BTF tests: the committed clang objects and a minimal ELF64 section reader (enough for
// our own fixtures; the real parser is @bpfkit/elf). Test-only: reads files.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const fixtureDir = fileURLToPath(new URL("../../../test/fixtures/", import.meta.url));

/** Every committed BPF object (little- and big-endian). */
export function fixtureObjects(): string[] {
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith(".bpf.o") || f.endsWith(".bpfeb.o"))
    .sort();
}

export function readFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixtureDir + name));
}

/** Bytes of section `name` of an ELF64 object, or undefined. */
export function elfSection(elf: Uint8Array, name: string): Uint8Array | undefined {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const le = elf[5] === 1;
  const shoff = Number(view.getBigUint64(0x28, le));
  const shentsize = view.getUint16(0x3a, le);
  const shnum = view.getUint16(0x3c, le);
  const strHeader = shoff + view.getUint16(0x3e, le) * shentsize;
  const strOff = Number(view.getBigUint64(strHeader + 0x18, le));
  const decoder = new TextDecoder();
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    const start = strOff + view.getUint32(h, le);
    const end = elf.indexOf(0, start);
    if (decoder.decode(elf.subarray(start, end)) !== name) continue;
    const off = Number(view.getBigUint64(h + 0x18, le));
    return elf.slice(off, off + Number(view.getBigUint64(h + 0x20, le)));
  }
  return undefined;
}

export function fixtureSection(object: string, name: string): Uint8Array | undefined {
  return elfSection(readFixture(object), name);
}

export const VMLINUX = "/sys/kernel/btf/vmlinux";

export function readVmlinux(): Uint8Array {
  return new Uint8Array(readFileSync(VMLINUX));
}
