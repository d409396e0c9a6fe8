// A map of the VM. Values live in VmMemory regions, so the pointer a lookup gives the program is a real address
// it can load from and store to (and only within the value). Keys are compared as bytes.

/** Linux errno values map operations report (the kernel's answers for the same calls). */
export const Errno = { ENOENT: 2, E2BIG: 7, EEXIST: 17, EINVAL: 22, ENOSPC: 28, EPERM: 1 } as const;

export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

export interface VmMap {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  /** Address of the value for `key`, or undefined. */
  lookup(key: Uint8Array): number | undefined;
  /** 0, or the errno the kernel gives. */
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  /** 0, or the errno the kernel gives. */
  delete(key: Uint8Array): number;
  /** The key after `key` (the first with null), or undefined at the end. */
  nextKey(key: Uint8Array | null): Uint8Array | undefined;
  /** The value bytes at a lookup's address (a view). */
  value(address: number): Uint8Array;
}
