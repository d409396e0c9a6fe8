// The only place that talks to libc. bpf(2) has no libc wrapper, so it goes through syscall(2); mmap/munmap
// back mmapable maps; prlimit raises RLIMIT_MEMLOCK on kernels that still charge BPF memory to it.
import koffi from "koffi";

/** `__NR_bpf` by architecture (arch/<arch>/.../syscall tables). */
const BPF_SYSCALL_NUMBERS: Readonly<Record<string, number>> = {
  x64: 321,
  arm64: 280,
  arm: 386,
  ia32: 357,
  riscv64: 280,
  loong64: 280,
  ppc64: 361,
  s390x: 351,
  mips64el: 5315,
};

/** The bpf(2) syscall number for this process's architecture, or undefined when unknown. */
export const BPF_SYSCALL_NUMBER: number | undefined = BPF_SYSCALL_NUMBERS[process.arch];

const libc = koffi.load("libc.so.6");

// The attr pointer is passed as an integer we computed from an off-heap ArrayBuffer: koffi then has no buffer to
// marshal per call, which keeps the hot map-lookup path allocation-free.
const rawSyscall = libc.func("long syscall(long number, int cmd, uintptr_t attr, uint32_t size)") as (
  number: number,
  cmd: number,
  attr: number,
  size: number,
) => number;
const rawClose = libc.func("int close(int fd)") as (fd: number) => number;
const rawMmap = libc.func(
  "uintptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)",
) as (addr: number, length: number, prot: number, flags: number, fd: number, offset: number) => number | bigint;
const rawMunmap = libc.func("int munmap(uintptr_t addr, size_t length)") as (addr: number, length: number) => number;
const rawPrlimit = libc.func("int prlimit(int pid, int resource, uintptr_t newLimit, uintptr_t oldLimit)") as (
  pid: number,
  resource: number,
  newLimit: number,
  oldLimit: number,
) => number;

const rawClockGettime = libc.func("int clock_gettime(int clockId, uintptr_t timespec)") as (
  clockId: number,
  timespec: number,
) => number;

const rawMount = libc.func(
  "int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)",
) as (source: string, target: string, fstype: string, flags: number, data: string | null) => number;

/** errno of the last failed libc call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

/** Calls bpf(2); returns the raw result (-1 on failure, then read `lastErrno()`). */
export function bpfSyscall(cmd: number, attrAddress: number, size: number): number {
  if (BPF_SYSCALL_NUMBER === undefined) return -1;
  return rawSyscall(BPF_SYSCALL_NUMBER, cmd, attrAddress, size);
}

export function closeFd(fd: number): void {
  rawClose(fd);
}

/** Address of the first byte of an ArrayBuffer's off-heap backing store. Stable for the buffer's lifetime. */
export function addressOf(buffer: ArrayBuffer): number {
  return Number(koffi.address(buffer));
}

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
const MAP_FAILED = 2 ** 64 - 1;

/** mmap(2) of a whole fd from offset 0; returns the address, or undefined (errno set) on failure. */
export function mmapShared(fd: number, length: number, prot: number): number | undefined {
  const result = Number(rawMmap(0, length, prot, MAP_SHARED, fd, 0));
  return result === MAP_FAILED || result === -1 ? undefined : result;
}

const MAP_PRIVATE = 2;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;

/**
 * Replaces a mapping with private zero pages at the same address. Used to "unmap" a map while JS views may still
 * point there: they then read zeros instead of faulting, and the map's own pages are released.
 */
export function replaceWithAnonymous(address: number, length: number): boolean {
  const result = Number(
    rawMmap(address, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0),
  );
  return result === address;
}

export function munmap(address: number, length: number): void {
  rawMunmap(address, length);
}

/** An ArrayBuffer over foreign memory (no copy). Valid only while that memory stays mapped. */
export function viewOf(address: number, length: number): ArrayBuffer {
  return koffi.view(BigInt(address), length);
}

/** Buffers direct libc calls point to, held here during the call so they cannot be collected meanwhile. */
const anchors: ArrayBuffer[] = [];

/** Runs `call` with `buffer` reachable from this module until it returns. */
export function withAnchor<T>(buffer: ArrayBuffer, call: () => T): T {
  anchors.push(buffer);
  try {
    return call();
  } finally {
    anchors.pop();
  }
}

const RLIMIT_MEMLOCK = 8;
const RLIM_INFINITY = 2n ** 64n - 1n;

/** Reads RLIMIT_MEMLOCK as [soft, hard] (RLIM_INFINITY = 2^64-1). */
export function getMemlockLimit(): [bigint, bigint] | undefined {
  const old = new ArrayBuffer(16);
  const result = withAnchor(old, () => rawPrlimit(0, RLIMIT_MEMLOCK, 0, addressOf(old)));
  if (result !== 0) return undefined;
  const view = new DataView(old);
  return [view.getBigUint64(0, true), view.getBigUint64(8, true)];
}

/** Sets RLIMIT_MEMLOCK to infinity (soft and hard), as libbpf does on kernels without memcg accounting. */
export function raiseMemlockLimit(): boolean {
  const limit = new ArrayBuffer(16);
  const view = new DataView(limit);
  view.setBigUint64(0, RLIM_INFINITY, true);
  view.setBigUint64(8, RLIM_INFINITY, true);
  return withAnchor(limit, () => rawPrlimit(0, RLIMIT_MEMLOCK, addressOf(limit), 0)) === 0;
}

let errnoNames: ReadonlyMap<number, string> | undefined;

/**
 * The name of an errno (EPERM, ENOENT, ...) from koffi's table for this OS, or undefined. The table is built on
 * first use: a process that never fails a syscall (a one-shot BTF dump) does not pay for it.
 */
export function errnoNameOf(errno: number): string | undefined {
  errnoNames ??= new Map(Object.entries(koffi.os.errno).map(([name, value]) => [value, name] as const));
  return errnoNames.get(errno);
}

/** clock_gettime(2) ids (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME). */
export const ClockId = { REALTIME: 0, MONOTONIC: 1, BOOTTIME: 7 } as const;

/** clock_gettime(2) as [seconds, nanoseconds]; undefined when the clock cannot be read. */
export function clockGettime(clockId: number): [bigint, bigint] | undefined {
  const ts = new ArrayBuffer(16);
  const result = withAnchor(ts, () => rawClockGettime(clockId, addressOf(ts)));
  if (result !== 0) return undefined;
  const view = new DataView(ts);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return [view.getBigInt64(0, little), view.getBigInt64(8, little)];
}

/** mount(2) flags bpftool uses when it mounts bpffs or tracefs itself. */
export const MountFlag = { BIND: 0x1000, REC: 0x4000, PRIVATE: 1 << 18 } as const;

/** mount(2); returns 0, or the errno of the failure. */
export function mount(source: string, target: string, fstype: string, flags: number, data: string | null): number {
  return rawMount(source, target, fstype, flags, data) === 0 ? 0 : lastErrno();
}

/** `__NR_perf_event_open` by architecture. */
const PERF_EVENT_OPEN_NUMBERS: Readonly<Record<string, number>> = { x64: 298, arm64: 241, riscv64: 241, loong64: 241 };

const rawPerfEventOpen = libc.func("syscall", "long", ["long", "uintptr_t", "int", "int", "int", "ulong"]) as (
  number: number,
  attr: number,
  pid: number,
  cpu: number,
  groupFd: number,
  flags: number,
) => number;
const rawIoctl = libc.func("int ioctl(int fd, unsigned long request, unsigned long arg)") as (
  fd: number,
  request: number,
  arg: number,
) => number;
const rawPoll = libc.func("int poll(uintptr_t fds, unsigned long nfds, int timeout)") as (
  fds: number,
  nfds: number,
  timeout: number,
) => number;

/** perf_event_open(2) with the attr at `attrAddress`; the new fd, or -errno. */
export function perfEventOpen(attrAddress: number, pid: number, cpu: number, groupFd: number, flags: number): number {
  const nr = PERF_EVENT_OPEN_NUMBERS[process.arch];
  if (nr === undefined) return -38; // ENOSYS
  const fd = rawPerfEventOpen(nr, attrAddress, pid, cpu, groupFd, flags);
  return fd < 0 ? -lastErrno() : fd;
}

/** ioctl(2) with an integer argument; 0 or -errno. */
export function ioctl(fd: number, request: number, arg: number): number {
  return rawIoctl(fd, request, arg) < 0 ? -lastErrno() : 0;
}

/** poll(2) over `nfds` struct pollfd at `fdsAddress`; the number of ready fds, or -errno. */
export function poll(fdsAddress: number, nfds: number, timeoutMs: number): number {
  const n = rawPoll(fdsAddress, nfds, timeoutMs);
  return n < 0 ? -lastErrno() : n;
}

/** mmap(2) of `length` bytes of an fd from `offset` (shared); the address, or undefined (errno set). */
export function mmapSharedAt(fd: number, length: number, prot: number, offset: number): number | undefined {
  const result = Number(rawMmap(0, length, prot, MAP_SHARED, fd, offset));
  return result === MAP_FAILED || result === -1 ? undefined : result;
}
