// CO-RE relocation kinds as clang writes them into .BTF.ext (enum bpf_core_relo_kind in the UAPI), and the short
// names libbpf prints in its debug log. Matching those names keeps our trace diffable against `bpftool -d`.

export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;
export type CoreReloKind = (typeof CoreReloKind)[keyof typeof CoreReloKind];

const SHORT_NAMES: readonly string[] = [
  "byte_off",
  "byte_sz",
  "field_exists",
  "signed",
  "lshift_u64",
  "rshift_u64",
  "local_type_id",
  "target_type_id",
  "type_exists",
  "type_size",
  "enumval_exists",
  "enumval_value",
  "type_matches",
];

/** libbpf's short name of a relocation kind ("byte_off", "type_matches" ...), "unknown" outside 0..12. */
export function coreReloKindName(kind: number): string {
  return SHORT_NAMES[kind] ?? "unknown";
}

export function isKnownReloKind(kind: number): kind is CoreReloKind {
  return Number.isInteger(kind) && kind >= 0 && kind < SHORT_NAMES.length;
}

/** Relocations that describe a field reached through an access string ("0:1:2"). */
export function isFieldBased(kind: number): boolean {
  return kind >= CoreReloKind.FIELD_BYTE_OFFSET && kind <= CoreReloKind.FIELD_RSHIFT_U64;
}

/** Relocations about a whole type; their access string must be exactly "0". */
export function isTypeBased(kind: number): boolean {
  return (
    kind === CoreReloKind.TYPE_ID_LOCAL ||
    kind === CoreReloKind.TYPE_ID_TARGET ||
    kind === CoreReloKind.TYPE_EXISTS ||
    kind === CoreReloKind.TYPE_SIZE ||
    kind === CoreReloKind.TYPE_MATCHES
  );
}

/** Relocations about one enumerator; the access string is its index. */
export function isEnumvalBased(kind: number): boolean {
  return kind === CoreReloKind.ENUMVAL_EXISTS || kind === CoreReloKind.ENUMVAL_VALUE;
}
