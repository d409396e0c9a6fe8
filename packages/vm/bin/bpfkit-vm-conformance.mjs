#!/usr/bin/env node
// The BPF conformance suite's plugin (Alan-Jowett/bpf_conformance): `bpfkit-vm-conformance [MEM] [OPTIONS...]`,
// the program as hex text on stdin; prints r0 in hex and exits 0, or prints why and exits 1 when the program is
// refused. Options: --engine interpreter|compiled (the interpreter, or the program compiled to WebAssembly).
import { readFileSync } from "node:fs";
import { bytesOfHex, runConformance } from "../dist/index.js";

const args = process.argv.slice(2);
const memory = args.length > 0 && !args[0].startsWith("--") ? bytesOfHex(args.shift()) : new Uint8Array(0);
const engine = args.includes("--engine") ? args[args.indexOf("--engine") + 1] : "interpreter";
if (engine !== "interpreter" && engine !== "compiled") {
  console.error(`unknown engine '${engine}': expected interpreter or compiled`);
  process.exit(2);
}
const outcome = runConformance(bytesOfHex(readFileSync(0, "utf8")), memory, engine);
if (outcome.ok) {
  console.log(`0x${outcome.value.toString(16)}`);
} else {
  console.log(outcome.error);
  process.exit(1);
}
