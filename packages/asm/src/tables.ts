// Name lookups over the generated tables. bpftool prints a name only for ids its libbpf knows, else the number;
// the `bpftool*` functions reproduce that choice.
import {
  ATTACH_TYPE_NAMES,
  BPFTOOL_ATTACH_TYPE_NAMES,
  BPFTOOL_HELPER_NAMES,
  BPFTOOL_LINK_TYPE_NAMES,
  BPFTOOL_MAP_TYPE_NAMES,
  BPFTOOL_PROG_TYPE_NAMES,
  HELPER_NAMES,
  LINK_TYPE_NAMES,
  MAP_TYPE_NAMES,
  PROG_TYPE_NAMES,
} from "./tables.generated.js";

const lookup = (names: readonly string[], id: number): string | undefined =>
  Number.isInteger(id) && id >= 0 && id < names.length ? names[id] : undefined;

/** `bpf_<name>` of a helper id, or undefined. */
export const helperName = (id: number) => lookup(HELPER_NAMES, id);
export const progTypeName = (id: number) => lookup(PROG_TYPE_NAMES, id);
export const mapTypeName = (id: number) => lookup(MAP_TYPE_NAMES, id);
export const attachTypeName = (id: number) => lookup(ATTACH_TYPE_NAMES, id);
export const linkTypeName = (id: number) => lookup(LINK_TYPE_NAMES, id);

/** What bpftool 7.1 prints for a type id in JSON: its name when libbpf 1.1 knows it, otherwise the number. */
export type BpftoolTypeValue = string | number;
export const bpftoolProgType = (id: number): BpftoolTypeValue => lookup(BPFTOOL_PROG_TYPE_NAMES, id) ?? id;
export const bpftoolMapType = (id: number): BpftoolTypeValue => lookup(BPFTOOL_MAP_TYPE_NAMES, id) ?? id;
export const bpftoolAttachType = (id: number): BpftoolTypeValue => lookup(BPFTOOL_ATTACH_TYPE_NAMES, id) ?? id;
export const bpftoolLinkType = (id: number): BpftoolTypeValue => lookup(BPFTOOL_LINK_TYPE_NAMES, id) ?? id;
export const bpftoolHelperName = (id: number) => lookup(BPFTOOL_HELPER_NAMES, id);

const byName = (names: readonly string[], name: string): number | undefined => {
  const i = names.indexOf(name);
  return i < 0 ? undefined : i;
};
/** Id of a helper by `bpf_<name>` or bare `<name>`. */
export const helperId = (name: string) => byName(HELPER_NAMES, name.startsWith("bpf_") ? name : `bpf_${name}`);
export const progTypeId = (name: string) => byName(PROG_TYPE_NAMES, name);
export const mapTypeId = (name: string) => byName(MAP_TYPE_NAMES, name);
export const attachTypeId = (name: string) => byName(ATTACH_TYPE_NAMES, name);
export const linkTypeId = (name: string) => byName(LINK_TYPE_NAMES, name);
