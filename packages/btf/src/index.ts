// @bpfkit/btf: the BTF core (btf-api.ts, see API.md) and the parts built on it, each with its own README.
export * from "./btf-api.js";
export * from "./core/index.js";
export * from "./dedup/index.js";
export * from "./dump-c/index.js";
