// Ours: `btf dump prog object FILE [program NAME]` and `btf dump map object FILE [map NAME] [key|value|kv|all]`.
// The PROG/MAP spec's `object` form elsewhere loads the object into the backend; for its BTF there is no need:
// the object's BTF after libbpf's open-time fixups (DATASEC sizes and offsets, .ksyms, hidden symbols) is what
// the kernel would hold for the loaded program or map, so the dump works without root and leaves nothing behind.
import { readFileSync, statSync } from "node:fs";
import type { MapSpec, ObjectSpec } from "@bpfkit/loader";
import type { Args } from "../../cli/args.js";
import { CliError, describeErrno, usageError } from "../../cli/errors.js";

export interface ObjectBtfSource {
  readonly path: string;
  readonly bytes: Uint8Array;
  /** The map the spec named (map form only). */
  readonly map: MapSpec | undefined;
}

function value(args: Args): string {
  const keyword = args.previous() ?? "";
  if (args.done) throw usageError(`'${keyword}' needs at least 1 arguments, 0 found`);
  return args.next();
}

async function open(path: string): Promise<ObjectSpec> {
  let bytes: Uint8Array;
  try {
    if (!statSync(path).isFile()) throw Object.assign(new Error("not a regular file"), { code: "EINVAL" });
    bytes = new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new CliError(`failed to open object file '${path}': ${describeErrno(error)}`, { cause: error });
  }
  const { openObject } = await import("../../cli/open-object.js");
  try {
    return openObject(bytes, { path, sectionTable: "1.1", allowUnknownSections: true });
  } catch (error) {
    throw new CliError(`failed to open object file '${path}': ${(error as Error).message}`, { cause: error });
  }
}

function btfOf(spec: ObjectSpec, path: string): Uint8Array {
  if (spec.btf === undefined) throw new CliError(`object file '${path}' has no BTF`);
  return spec.btf;
}

/** `object FILE [program NAME]`, the `object` keyword already consumed. */
export async function programObjectBtf(args: Args): Promise<ObjectBtfSource> {
  const path = value(args);
  let name: string | undefined;
  if (args.peek() === "program") {
    args.skip();
    name = value(args);
  }
  const spec = await open(path);
  const programs = name === undefined ? spec.programs : spec.programs.filter((p) => p.name === name);
  if (programs.length === 0) {
    throw new CliError(name === undefined ? `no program in ${path}` : `no program named '${name}' in ${path}`);
  }
  // every program of an object is loaded with the object's one BTF: several programs dump it once
  return { path, bytes: btfOf(spec, path), map: undefined };
}

/** `object FILE [map NAME]`, the `object` keyword already consumed. */
export async function mapObjectBtf(args: Args): Promise<ObjectBtfSource> {
  const path = value(args);
  let name: string | undefined;
  if (args.is("map") && args.peek() !== undefined && args.peek(1) !== undefined) {
    args.skip();
    name = args.next();
  }
  const spec = await open(path);
  const maps = name === undefined ? spec.maps : spec.maps.filter((m) => m.name === name);
  if (maps.length === 0) {
    const names = spec.maps.map((m) => m.name);
    const known = names.length > 0 ? ` (maps: ${names.join(", ")})` : "";
    throw new CliError(name === undefined ? `no map in ${path}` : `no map named '${name}' in ${path}${known}`);
  }
  if (maps.length > 1) throw new CliError("several maps match this handle");
  return { path, bytes: btfOf(spec, path), map: maps[0] };
}
