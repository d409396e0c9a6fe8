// Loading `object FILE` into the kernel, loaded on demand (see kernel.ts for why it is a module of its own).
export { loadCollection } from "@bpfkit/kernel";
