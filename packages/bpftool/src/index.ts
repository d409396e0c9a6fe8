// @bpfkit/bpftool as a library: run a bpftool command line in this process (tests, tools that batch commands).
export { CaptureSink, type Sink } from "./cli/output.js";
export { JsonWriter } from "./json-writer.js";
export { main } from "./main.js";
