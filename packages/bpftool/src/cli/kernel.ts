// What commands take from @bpfkit/kernel on their common path, behind one dynamic import. Each lazily loaded piece
// of a library is a module of re-exports like this one (kernel-collection.ts, kernel-readers.ts, open-object.ts,
// value-codec.ts): the bundle's chunk then holds just the modules behind the names, where a dynamic import of a
// package's index holds all of it (for `map lookup`, ~400 KB: attach, netlink, collections, the loader, CO-RE).
export { KernelBackend, possibleCpus } from "@bpfkit/kernel";
