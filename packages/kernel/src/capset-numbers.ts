// capget(2)/capset(2) syscall numbers by architecture (arch/<arch> syscall tables). Kept apart from
// capabilities.ts, which loads libc, so that code asking only "can this machine drop capabilities?" loads nothing.
export const CAPSET_SYSCALLS: Readonly<Record<string, { readonly capget: number; readonly capset: number }>> = {
  x64: { capget: 125, capset: 126 },
  arm64: { capget: 90, capset: 91 },
  riscv64: { capget: 90, capset: 91 },
  loong64: { capget: 90, capset: 91 },
};
