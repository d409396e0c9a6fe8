// Filling the .kconfig map (libbpf's bpf_object__resolve_externs, kconfig part): LINUX_* virtual externs come
// from facts the caller passes (kernel version, feature probes); CONFIG_* ones from Kconfig text (`CONFIG_X=y`,
// `=m`, `=n`, numbers in C syntax, "strings"), user overrides first, then the system config. Reading
// /proc/config.gz or /boot/config-* is the caller's job: this code never touches files.

import { LoaderError } from "../errors.js";
import type { ExternSpec } from "../object/spec.js";

export interface KconfigInput {
  /** Kconfig text from the user (libbpf's `kconfig` open option); wins over `systemKconfig`. */
  readonly kconfig?: string;
  /** The running kernel's config text (/boot/config-$(uname -r) or /proc/config.gz, decompressed). */
  readonly systemKconfig?: string;
  /** LINUX_KERNEL_VERSION: KERNEL_VERSION(a,b,c) = a << 16 | b << 8 | min(c, 255). */
  readonly kernelVersion?: number;
  /** LINUX_HAS_BPF_COOKIE / LINUX_HAS_SYSCALL_WRAPPER. */
  readonly bpfCookie?: boolean;
  readonly syscallWrapper?: boolean;
}

type KconfigExtern = ExternSpec & { readonly kconfig: NonNullable<ExternSpec["kconfig"]> };

function fail(ext: ExternSpec, message: string): never {
  throw new LoaderError("BAD_VALUE", `extern (kcfg) '${ext.name}': ${message}`, { symbol: ext.name, map: ".kconfig" });
}

function fits(ext: KconfigExtern, value: bigint): boolean {
  const bits = BigInt(ext.kconfig.size * 8);
  if (ext.kconfig.size === 8) return true;
  if (ext.kconfig.signed) return BigInt.asUintN(64, value + (1n << (bits - 1n))) < 1n << bits;
  return value >> bits === 0n;
}

function writeNumber(ext: KconfigExtern, out: DataView, value: bigint, little: boolean): void {
  const { type, size, offset } = ext.kconfig;
  if (type !== "int" && type !== "char" && type !== "bool") {
    fail(ext, `value '${value}' implies integer, char, or boolean type`);
  }
  if (type === "bool" && value > 1n) fail(ext, `value '${value}' isn't boolean compatible`);
  if (!fits(ext, value)) fail(ext, `value '${value}' doesn't fit in ${size} bytes`);
  const v = BigInt.asUintN(64, value);
  if (size === 1) out.setUint8(offset, Number(v & 0xffn));
  else if (size === 2) out.setUint16(offset, Number(v & 0xffffn), little);
  else if (size === 4) out.setUint32(offset, Number(v & 0xffffffffn), little);
  else out.setBigUint64(offset, v, little);
}

function writeTristate(ext: KconfigExtern, out: DataView, value: "y" | "n" | "m", little: boolean): void {
  const { type, offset } = ext.kconfig;
  if (type === "bool") {
    if (value === "m") fail(ext, `value '${value}' implies tristate or char type`);
    out.setUint8(offset, value === "y" ? 1 : 0);
  } else if (type === "tristate") {
    const n = value === "y" ? 1 : value === "m" ? 2 : 0;
    if (ext.kconfig.size === 8) out.setBigUint64(offset, BigInt(n), little);
    else out.setUint32(offset, n, little);
  } else if (type === "char") {
    out.setUint8(offset, value.charCodeAt(0));
  } else {
    fail(ext, `value '${value}' implies bool, tristate, or char type`);
  }
}

function writeString(ext: KconfigExtern, out: Uint8Array, value: string): void {
  if (ext.kconfig.type !== "char-array") fail(ext, `value '${value}' implies char array type`);
  if (value.length < 2 || !value.endsWith('"')) fail(ext, `invalid string config '${value}'`);
  const bytes = new TextEncoder().encode(value.slice(1, -1));
  const len = Math.min(bytes.length, ext.kconfig.size - 1);
  out.set(bytes.subarray(0, len), ext.kconfig.offset);
  out[ext.kconfig.offset + len] = 0;
}

/** strtoull(value, 0): decimal, 0x hex or 0 octal, with an optional sign; undefined if not a whole number. */
function parseCNumber(text: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const body = m[2]!;
  const magnitude = /^0[xX]/.test(body)
    ? BigInt(body)
    : body.length > 1 && body.startsWith("0")
      ? BigInt(`0o${body.slice(1)}`)
      : BigInt(body);
  if (magnitude > 0xffffffffffffffffn) return undefined;
  return m[1] === "-" ? BigInt.asUintN(64, -magnitude) : magnitude;
}

function applyKconfigText(
  text: string,
  externs: readonly KconfigExtern[],
  set: Set<string>,
  out: Uint8Array,
  little: boolean,
): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const raw of text.split("\n")) {
    if (!raw.startsWith("CONFIG_")) continue;
    const eq = raw.indexOf("=");
    if (eq < 0) throw new LoaderError("BAD_VALUE", `failed to parse '${raw}': no separator`);
    const name = raw.slice(0, eq);
    const value = raw.slice(eq + 1);
    if (value === "") throw new LoaderError("BAD_VALUE", `failed to parse '${raw}': no value`);
    const ext = externs.find((e) => e.name === name);
    if (!ext || set.has(name)) continue;
    const first = value[0];
    if (first === "y" || first === "n" || first === "m") {
      writeTristate(ext, view, first, little);
    } else if (first === '"') {
      writeString(ext, out, value);
    } else {
      const num = parseCNumber(value);
      if (num === undefined) fail(ext, `value '${value}' isn't a valid integer`);
      if (ext.kconfig.type !== "int" && ext.kconfig.type !== "char") fail(ext, `value '${value}' implies integer type`);
      writeNumber(ext, view, num, little);
    }
    set.add(name);
  }
}

/**
 * Contents of the .kconfig map. Unset weak externs stay 0; an unset strong one is an error naming it.
 * `little`: byte order of the object.
 */
export function buildKconfigData(
  externs: readonly ExternSpec[],
  size: number,
  input: KconfigInput,
  little: boolean,
): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const kcfg = externs.filter((e): e is KconfigExtern => e.kind === "kconfig" && e.kconfig !== undefined);
  const set = new Set<string>();
  for (const ext of kcfg) {
    if (ext.name.startsWith("CONFIG_")) continue;
    let value: bigint;
    if (ext.name === "LINUX_KERNEL_VERSION") {
      if (!input.kernelVersion) {
        throw new LoaderError("UNRESOLVED", `extern (kcfg) '${ext.name}': kernel version not given`, {
          symbol: ext.name,
        });
      }
      value = BigInt(input.kernelVersion);
    } else if (ext.name === "LINUX_HAS_BPF_COOKIE") {
      value = input.bpfCookie ? 1n : 0n;
    } else if (ext.name === "LINUX_HAS_SYSCALL_WRAPPER") {
      value = input.syscallWrapper ? 1n : 0n;
    } else if (!ext.name.startsWith("LINUX_") || !ext.weak) {
      throw new LoaderError("BAD_EXTERN", `extern (kcfg) '${ext.name}': unrecognized virtual extern`, {
        symbol: ext.name,
      });
    } else {
      continue;
    }
    writeNumber(ext, view, value, little);
    set.add(ext.name);
  }
  if (input.kconfig !== undefined) applyKconfigText(input.kconfig, kcfg, set, out, little);
  if (input.systemKconfig !== undefined) applyKconfigText(input.systemKconfig, kcfg, set, out, little);
  for (const ext of kcfg) {
    if (set.has(ext.name) || ext.weak) continue;
    const why = input.kconfig === undefined && input.systemKconfig === undefined ? " (no Kconfig text was given)" : "";
    throw new LoaderError("UNRESOLVED", `extern '${ext.name}' (strong): not resolved${why}`, { symbol: ext.name });
  }
  return out;
}

/** KERNEL_VERSION(a, b, c) from a `uname -r` release string like "6.18.44-generic". */
export function kernelVersionCode(release: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) throw new LoaderError("BAD_VALUE", `cannot parse kernel release '${release}'`);
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255);
}
