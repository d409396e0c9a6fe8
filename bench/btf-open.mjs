// How a Node process can get /sys/kernel/btf/vmlinux into memory, for bench/btf-parse.bench.mjs.
// - readFile: node:fs readFileSync. sysfs hands out at most one page per read(2), so this is ~1,350 reads, and
//   each readSync costs several microseconds of binding overhead on top of the syscall.
// - mmap: kernels >= 6.16 let /sys/kernel/btf/vmlinux be mmap'ed read-only; through koffi (already a dependency of
//   @bpfkit/kernel) that is open + mmap + close, no data copy, and the pages fault in while the index is built.
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";

export function readWithFs(path) {
  return readFileSync(path);
}

let libc;
/** Loads koffi and binds open/mmap/close; returns the time it took (not part of "open"). */
export function prepareMmap() {
  const t0 = performance.now();
  const require = createRequire(new URL("../packages/kernel/package.json", import.meta.url));
  const koffi = require("koffi");
  const lib = koffi.load("libc.so.6");
  libc = {
    koffi,
    open: lib.func("int open(const char *path, int flags)"),
    close: lib.func("int close(int fd)"),
    mmap: lib.func("void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)"),
  };
  return performance.now() - t0;
}

/** Maps the file read-only (never unmapped: the bench process exits right after). */
export function readWithMmap(path) {
  const size = statSync(path).size;
  const fd = libc.open(path, 0);
  if (fd < 0) throw new Error(`open ${path} failed`);
  const PROT_READ = 1;
  const MAP_PRIVATE = 2;
  // Pre-fault every page in the one syscall instead of taking ~1,350 page faults while scanning.
  const MAP_POPULATE = 0x8000;
  const ptr = libc.mmap(null, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  libc.close(fd);
  if (libc.koffi.address(ptr) === 0xffffffffffffffffn) throw new Error(`mmap ${path} failed`);
  return new Uint8Array(libc.koffi.view(ptr, size));
}
