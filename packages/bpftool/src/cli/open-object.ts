// Opening an object file, loaded on demand (see kernel.ts).
export { openObject } from "@bpfkit/loader";
