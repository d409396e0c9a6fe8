// The identifiers `gen skeleton` derives: the object name from the file, the header guard, and the field names of
// maps and data sections. C identifiers are made byte by byte, as bpftool does in the C locale: anything but an
// ASCII letter, digit or `_` becomes `_` (each byte of a multi-byte character too).
import { BPF_F_MMAPABLE, type MapSpec } from "@bpfkit/loader";
import { isInternalMap } from "../../libbpf61.js";

/** bpftool's MAX_OBJ_NAME_LEN less its NUL: names keep at most 63 bytes. */
const MAX_NAME_BYTES = 63;

const encoder = new TextEncoder();

function isIdentByte(b: number): boolean {
  return (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b === 95;
}

/** sanitize_identifier. */
export function sanitizeIdentifier(name: string): string {
  let out = "";
  for (const b of encoder.encode(name)) out += isIdentByte(b) ? String.fromCharCode(b) : "_";
  return out;
}

/** The first `max` bytes of `text` (strncpy into bpftool's fixed buffers). */
export function truncateBytes(text: string, max = MAX_NAME_BYTES): string {
  const bytes = encoder.encode(text);
  return bytes.length <= max ? text : new TextDecoder().decode(bytes.subarray(0, max));
}

/** get_obj_name: the file's basename (63 bytes at most), without a final `.o`, as an identifier. */
export function objectNameFromFile(file: string): string {
  let name = truncateBytes(file.slice(file.lastIndexOf("/") + 1));
  if (name.endsWith(".o")) name = name.slice(0, -2);
  return sanitizeIdentifier(name);
}

/** get_header_guard: `__NAME_SUFFIX__` in upper case (ASCII letters only, as toupper in the C locale). */
export function headerGuard(objName: string, suffix: string): string {
  return `__${objName}_${suffix}__`.replace(/[a-z]/g, (c) => c.toUpperCase());
}

/** bpf_map__is_internal: the maps libbpf makes for global data and kconfig. */

const INTERNAL_SUFFIXES = [".data", ".rodata", ".bss", ".kconfig"];

/**
 * get_map_ident: a map's field name in the skeleton. User maps keep their name; an internal map is named after the
 * section its name mentions (`obj.rodata` -> `rodata`, `.data.custom` -> `data_custom`), undefined when none.
 */
export function mapIdent(map: MapSpec): string | undefined {
  if (!isInternalMap(map)) return map.name;
  for (const suffix of INTERNAL_SUFFIXES) {
    const at = map.name.indexOf(suffix);
    if (at >= 0) return sanitizeIdentifier(map.name.slice(at + 1));
  }
  return undefined;
}

/** get_datasec_ident: a data section's field name (`.rodata.str1.1` -> `rodata_str1_1`), undefined for others. */
export function datasecIdent(secName: string): string | undefined {
  for (const prefix of INTERNAL_SUFFIXES) if (secName.startsWith(prefix)) return sanitizeIdentifier(secName.slice(1));
  return undefined;
}

/** is_internal_mmapable_map: the internal maps a skeleton exposes as memory (their ident), else undefined. */
export function mmapableIdent(map: MapSpec): string | undefined {
  if (!isInternalMap(map) || (map.flags & BPF_F_MMAPABLE) === 0) return undefined;
  return mapIdent(map);
}
