// Values typed by BTF (`value json ...`), loaded on demand (see kernel.ts).
export { encodeValue } from "@bpfkit/loader";
