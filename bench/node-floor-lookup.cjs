"use strict";
// The least a Node.js `map lookup` can cost, for the bpftool CLI bench's floor row: koffi's native module (as the
// bin's shim loads it), BPF_OBJ_GET of a pin, one BPF_MAP_LOOKUP_ELEM, one line of hex. No argument checks, no
// BTF, no error handling: not a product, a measuring stick.
// Usage: node node-floor-lookup.cjs PIN VALUE_SIZE KEY_BYTE...
const koffi = require("../packages/bpftool/dist/bundle/koffi.cjs");
const BPF_SYSCALL_X64 = 321;
const BPF_MAP_LOOKUP_ELEM = 1;
const BPF_OBJ_GET = 7;
const syscall = koffi.load("libc.so.6").func("long syscall(long number, int cmd, uintptr_t attr, uint32_t size)");
const address = (buffer) => BigInt(koffi.address(buffer));
const [pin, valueSize, ...keyBytes] = process.argv.slice(2);
const attr = new ArrayBuffer(128);
const view = new DataView(attr);
const path = new TextEncoder().encode(`${pin}\0`).buffer;
view.setBigUint64(0, address(path), true);
const fd = syscall(BPF_SYSCALL_X64, BPF_OBJ_GET, Number(address(attr)), 16);
const key = Uint8Array.from(keyBytes, Number);
const value = new Uint8Array(Number(valueSize));
new Uint8Array(attr).fill(0);
view.setUint32(0, fd, true);
view.setBigUint64(8, address(key.buffer), true);
view.setBigUint64(16, address(value.buffer), true);
if (syscall(BPF_SYSCALL_X64, BPF_MAP_LOOKUP_ELEM, Number(address(attr)), 32) !== 0) process.exit(1);
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
process.stdout.write(`key: ${hex(key)}  value: ${hex(value)}\n`);
