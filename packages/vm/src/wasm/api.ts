// The slice of the WebAssembly JS API the VM uses, typed here: @types/node does not declare the global (it comes
// with the DOM lib, which this project does not load). Browsers and Node both provide it.

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmGlobal<T> {
  value: T;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Global: new <T>(descriptor: { value: "i32" | "i64"; mutable: boolean }, value: T) => WasmGlobal<T>;
}

export const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

export const PAGE = 65536;
