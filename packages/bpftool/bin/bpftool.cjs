#!/usr/bin/env -S node --single-threaded --no-opt --liftoff-only --no-sparkplug
// The `bpftool` command. The node flags suit a one-shot process whose heavy work runs in WebAssembly: see
// docs/decisions.md ("bpftool: start-up"). The bundle is built by `pnpm build` (scripts/bundle-cli.mjs).
require("../dist/bundle/bpftool.cjs");
