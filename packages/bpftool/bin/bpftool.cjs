#!/usr/bin/env -S node --single-threaded --no-opt --liftoff-only --no-sparkplug
// The `bpftool` command. The node flags suit a one-shot process whose heavy work runs in WebAssembly, and the
// bundle's files load through a V8 code cache: docs/decisions.md ("bpftool: start-up"). The bundle is built by
// `pnpm build` (scripts/bundle-cli.mjs).
"use strict";
const path = require("node:path");

const bundle = path.join(__dirname, "..", "dist", "bundle");
// `btf` commands (the big dumps) spend their time in WebAssembly, and every MiB of their peak RSS counts: they run
// as the `#!` line says, without the cache machinery.
if (process.argv.slice(2).find((word) => !word.startsWith("-")) !== "btf") {
  // Other commands run JavaScript (map dumps, batch files): V8's baseline compiler, off on the `#!` line for the
  // dumps' memory, is worth turning back on for them (-j map dump of 10,000 entries: 216 -> 174 ms).
  require("node:v8").setFlagsFromString("--sparkplug");
  useCodeCache();
}
require(path.join(bundle, "bpftool.cjs"));

function useCodeCache() {
  const Module = require("node:module");
  const { mkdirSync, readFileSync, writeFileSync } = require("node:fs");
  const vm = require("node:vm");
  const cacheDir = path.join(bundle, ".v8-cache");
  /** Files compiled without a usable cache: their cache is written when the process ends. */
  const uncached = [];
  const compile = Module.prototype._compile;

  // Compiling the bundle's files is about a third of a command's own start-up. V8 checks a cache against the source
  // and the flags and rejects a stale one; a cache made at exit also holds the functions the command compiled.
  Module.prototype._compile = function compileWithCache(content, filename) {
    if (path.dirname(filename) !== bundle || !filename.endsWith(".cjs")) return compile.call(this, content, filename);
    const cacheFile = path.join(cacheDir, `${path.basename(filename)}.v8`);
    let cachedData;
    try {
      cachedData = readFileSync(cacheFile);
    } catch {}
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected) uncached.push([script, cacheFile]);
    const require = (id) => this.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, this, false, options);
    require.cache = Module._cache;
    require.main = process.mainModule;
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(this.exports, this.exports, require, this, filename, path.dirname(filename));
  };

  process.on("exit", () => {
    if (uncached.length === 0) return;
    try {
      mkdirSync(cacheDir, { recursive: true });
      for (const [script, file] of uncached) writeFileSync(file, script.createCachedData());
    } catch {
      // A read-only install runs without a cache.
    }
  });
}
