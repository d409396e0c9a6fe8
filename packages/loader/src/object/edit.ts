// Spec edits between open and load, as libbpf's bpf_program__set_* / bpf_map__set_* do on an opened object. Specs
// are plain data, so each edit returns a new spec and leaves the one passed in untouched.

import { LoaderError } from "../errors.js";
import { adjustRingbufSize } from "./btf-maps.js";
import type { MapSpec, ObjectSpec, ProgramSpec } from "./spec.js";

const BPF_MAP_TYPE_RINGBUF = 27;

export interface ProgramEdit {
  /** Load this program (libbpf's `bpf_program__set_autoload`). */
  readonly autoload?: boolean;
  /** Program type (`bpf_program__set_type`), e.g. for a section name no table knows. */
  readonly type?: number;
  /** Expected attach type (`bpf_program__set_expected_attach_type`). */
  readonly expectedAttachType?: number;
}

export interface MapEdit {
  /** `bpf_map__set_max_entries` (ring buffers are rounded up to a power-of-2 number of pages, as at open). */
  readonly maxEntries?: number;
  /** Page size for that rounding (default 4096, as `openObject`'s). */
  readonly pageSize?: number;
  /** `bpf_map__set_map_flags`. */
  readonly flags?: number;
  /** `bpf_map__set_numa_node`. */
  readonly numaNode?: number;
  /** `bpf_map__set_map_extra`. */
  readonly mapExtra?: bigint;
  /** LIBBPF_PIN_BY_NAME on or off. */
  readonly pinning?: "none" | "by-name";
  /** Create the map at load (`bpf_map__set_autocreate`). */
  readonly autocreate?: boolean;
}

function checkU32(what: string, value: number | undefined, context: { program?: string; map?: string }): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) {
    throw new LoaderError("BAD_VALUE", `${what} must be an integer in 0..2^32-1, got ${value}`, context);
  }
}

/** A copy of `spec` with program `name` changed. */
export function setProgram(spec: ObjectSpec, name: string, edit: ProgramEdit): ObjectSpec {
  if (!spec.programs.some((p) => p.name === name)) {
    throw new LoaderError("NOT_FOUND", `program '${name}' not found`, { program: name });
  }
  checkU32(`prog '${name}': type`, edit.type, { program: name });
  checkU32(`prog '${name}': expected attach type`, edit.expectedAttachType, { program: name });
  const programs = spec.programs.map((p): ProgramSpec => (p.name === name ? { ...p, ...defined(edit) } : p));
  return { ...spec, programs };
}

/** A copy of `spec` with map `name` changed. Global data maps keep their layout: only flags and autocreate. */
export function setMap(spec: ObjectSpec, name: string, edit: MapEdit): ObjectSpec {
  const map = spec.maps.find((m) => m.name === name);
  if (!map) throw new LoaderError("NOT_FOUND", `map '${name}' not found`, { map: name });
  const context = { map: name };
  checkU32(`map '${name}': max_entries`, edit.maxEntries, context);
  checkU32(`map '${name}': map_flags`, edit.flags, context);
  checkU32(`map '${name}': numa_node`, edit.numaNode, context);
  const dataMap = map.kind !== "user" && map.kind !== "legacy";
  if (dataMap && (edit.maxEntries !== undefined || edit.pinning !== undefined)) {
    const what = map.kind === "struct_ops" ? "struct_ops" : "data";
    throw new LoaderError(
      "BAD_VALUE",
      `map '${name}': a ${map.section} ${what} map has one entry and is not pinned`,
      context,
    );
  }
  const { pageSize = 4096, ...fields } = edit;
  const changed = defined(fields);
  if (changed.maxEntries !== undefined && map.type === BPF_MAP_TYPE_RINGBUF) {
    changed.maxEntries = adjustRingbufSize(changed.maxEntries, pageSize);
  }
  const maps = spec.maps.map((m): MapSpec => (m.name === name ? { ...m, ...changed } : m));
  return { ...spec, maps };
}

/** The edit's fields that were given (an explicit `undefined` changes nothing). */
function defined<T extends object>(edit: T): { -readonly [K in keyof T]: T[K] } {
  return Object.fromEntries(Object.entries(edit).filter(([, v]) => v !== undefined)) as {
    -readonly [K in keyof T]: T[K];
  };
}
