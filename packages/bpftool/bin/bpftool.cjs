#!/usr/bin/env -S node --no-opt --liftoff-only --no-sparkplug
// The `bpftool` command. The node flags suit a one-shot process whose heavy work runs in WebAssembly, and the
// bundle's files load through a V8 code cache: docs/decisions.md ("bpftool: start-up"). The bundle is built by
// `pnpm build` (scripts/bundle-cli.mjs).
"use strict";
const path = require("node:path");

const bundle = path.join(__dirname, "..", "dist", "bundle");
/** The V8 tiers a command turns back on, by the name of their code cache. */
const TIER_FLAGS = { sparkplug: "--sparkplug", "sparkplug-opt": "--sparkplug --opt" };
const [object, command] = commandWords(process.argv.slice(2));
// `btf` commands (the big dumps) spend their time in WebAssembly, and every MiB of their peak RSS counts: they run
// as the `#!` line says, without the cache machinery.
if (object !== "btf") {
  // The JavaScript-heavy commands turn V8's tiers, off on the `#!` line for the dumps' memory, back on: a batch
  // file its baseline compiler (1,000 lookups 238 -> 222 ms; the optimizing one costs more than it gains there),
  // a map dump both (-j of 10,000 entries ~300 -> ~190 ms, compiled on V8's worker threads). Only they do:
  // node:v8 brings Node's streams stack with it, ~7 ms of every other command's start. V8 rejects a code cache
  // made under other flags, so each flag set keeps its own.
  const tiers = isPrefixOf(object, "batch")
    ? "sparkplug"
    : isPrefixOf(object, "map") && isPrefixOf(command, "dump")
      ? "sparkplug-opt"
      : undefined;
  if (tiers !== undefined) require("node:v8").setFlagsFromString(TIER_FLAGS[tiers]);
  loadBundle(tiers === undefined ? ".v8-cache" : `.v8-cache-${tiers}`);
} else {
  require(path.join(bundle, "bpftool.cjs"));
}

/** The object and command keywords, past the global options (and the arguments of those that take one). */
function commandWords(argv) {
  const words = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    if (argv[i] === "-B" || argv[i] === "--base-btf" || argv[i] === "--backend") i++;
    else if (!argv[i].startsWith("-")) words.push(argv[i]);
  }
  return words;
}

/** bpftool's keyword match: a non-empty prefix (the tables list `batch` before `btf`, `dump` before `delete`). */
function isPrefixOf(word, keyword) {
  return word !== undefined && word.length > 0 && keyword.startsWith(word);
}

/**
 * Loads the bundle's files through a V8 code cache in `cacheName`, resolving their requests of one another
 * (`./name.cjs`) by name: Node's resolver would stat and realpath each of the ~40 files a command reads.
 */
function loadBundle(cacheName) {
  const Module = module.constructor;
  const { mkdirSync, readFileSync, writeFileSync } = require("node:fs");
  const { Script } = require("node:vm");
  const cacheDir = path.join(bundle, cacheName);
  /** Files compiled without a usable cache: their cache is written when the process ends. */
  const uncached = [];

  function load(filename, parent) {
    const cached = Module._cache[filename];
    if (cached !== undefined) return cached.exports;
    const loaded = new Module(filename, parent);
    loaded.filename = filename;
    loaded.paths = parent.paths;
    Module._cache[filename] = loaded;
    try {
      run(loaded, readFileSync(filename, "latin1"));
    } catch (error) {
      delete Module._cache[filename];
      throw error;
    }
    loaded.loaded = true;
    return loaded.exports;
  }

  // Compiling the bundle's files is about a third of a command's own start-up. V8 checks a cache against the source
  // and the flags and rejects a stale one; a cache made at exit also holds the functions the command compiled.
  function run(loaded, content) {
    const { filename } = loaded;
    const cacheFile = path.join(cacheDir, `${path.basename(filename)}.v8`);
    let cachedData;
    try {
      cachedData = readFileSync(cacheFile);
    } catch {}
    const script = new Script(Module.wrap(content), { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected) uncached.push([script, cacheFile]);
    // Called again for each dynamic import a command runs (a batch file runs thousands): no path work per call.
    const require = (id) =>
      id.startsWith("./") && id.endsWith(".cjs") && !id.includes("/", 2)
        ? load(`${bundle}${path.sep}${id.slice(2)}`, loaded)
        : loaded.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, loaded, false, options);
    require.cache = Module._cache;
    require.main = process.mainModule;
    const wrapper = script.runInThisContext({ displayErrors: true });
    wrapper.call(loaded.exports, loaded.exports, require, loaded, filename, bundle);
  }

  process.on("exit", () => {
    if (uncached.length === 0) return;
    try {
      mkdirSync(cacheDir, { recursive: true });
      for (const [script, file] of uncached) writeFileSync(file, script.createCachedData());
    } catch {
      // A read-only install runs without a cache.
    }
  });
  load(path.join(bundle, "bpftool.cjs"), module);
}
