// Reads kernel BTF files (/sys/kernel/btf/vmlinux and the module files next to it) into memory.
// sysfs serves these files one page per read(2), so readFileSync of the 5.5 MB vmlinux is ~1,350 syscalls plus
// Node's per-read overhead. Since Linux 6.16 the BTF sysfs files can be mmap'ed read-only: one open + mmap with
// MAP_POPULATE (every page faulted in inside that single syscall) + close, and no copy. Older kernels, other file
// systems (a test's temporary copy is mmapable too, but /proc or a pipe is not) and any failure fall back to
// readFileSync, so callers always get the bytes or the read error.

import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import koffi from "koffi";
import { munmap, viewOf } from "./libc.js";

const PROT_READ = 1;
const MAP_PRIVATE = 2;
const MAP_POPULATE = 0x8000;
const MAP_FAILED = 2 ** 64 - 1;

// Own binding: libc.ts's mmap hard-codes MAP_SHARED for map fds; this one needs private + populate.
const rawMmap = koffi
  .load("libc.so.6")
  .func("uintptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)") as (
  addr: number,
  length: number,
  prot: number,
  flags: number,
  fd: number,
  offset: number,
) => number | bigint;

// The pages go back to the OS when the ArrayBuffer over them is unreachable: a Btf built on the bytes keeps
// subarrays of them (its string table), so the mapping lives exactly as long as anything can still read it.
const released = new FinalizationRegistry<{ address: number; length: number }>((held) => {
  munmap(held.address, held.length);
});

/** How `readKernelBtfFile` got the bytes (for benches and diagnostics). */
export type BtfFileSource = "mmap" | "read";

export interface KernelBtfFile {
  readonly bytes: Uint8Array;
  readonly source: BtfFileSource;
}

/**
 * The bytes of a kernel BTF file: a read-only private mapping when the file can be mapped, else the file read
 * with readFileSync. Throws what readFileSync throws (ENOENT, EACCES ...) when the file cannot be read at all.
 */
export function readKernelBtfFile(path: string): KernelBtfFile {
  const mapped = mapFile(path);
  if (mapped) return { bytes: mapped, source: "mmap" };
  return { bytes: new Uint8Array(readFileSync(path)), source: "read" };
}

function mapFile(path: string): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined; // readFileSync reports the error with the same code
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= 0 || !Number.isSafeInteger(size)) return undefined;
    const address = Number(rawMmap(0, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0));
    if (address === MAP_FAILED || address === -1 || address === 0) return undefined;
    const buffer = viewOf(address, size);
    released.register(buffer, { address, length: size });
    return new Uint8Array(buffer);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
