// The kernel's Internet checksum arithmetic (include/net/checksum.h, x86-64's csum_partial and csum_fold), on
// the numbers a little-endian machine sees: a 16-bit checksum field read from the packet as a u16, and
// __be16/__be32 values as the program passes them. Done the same way, the bytes written are the kernel's.

/** 32-bit one's complement addition (csum_add). */
export function csumAdd(a: number, b: number): number {
  const sum = (a >>> 0) + (b >>> 0);
  return sum > 0xffffffff ? sum - 0xffffffff : sum;
}

export const csumSub = (a: number, b: number) => csumAdd(a, ~b >>> 0);

/** Folds a 32-bit sum to 16 bits and complements it (csum_fold). */
export function csumFold(sum: number): number {
  let s = (sum & 0xffff) + (sum >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** csum_replace4: the field after a 32-bit word of what it covers changed from `from` to `to`. */
export const csumReplace4 = (field: number, from: number, to: number) =>
  csumFold(csumAdd(csumSub(~field & 0xffff, from), to));

/** csum_replace_by_diff: the field after adding a precomputed difference. */
export const csumReplaceByDiff = (field: number, diff: number) => csumFold(csumAdd(diff, ~field & 0xffff));

/** csum_replace2: the field after a 16-bit word changed, in 16-bit arithmetic (csum16_add/csum16_sub). */
export function csumReplace2(field: number, from: number, to: number): number {
  const add16 = (a: number, b: number) => {
    const r = (a + b) & 0xffff;
    return (r + (r < b ? 1 : 0)) & 0xffff;
  };
  return ~add16(add16(~field & 0xffff, ~from & 0xffff), to & 0xffff) & 0xffff;
}

/** x86-64 csum_partial: 64-bit words with end-around carry, a zero-padded tail, folded to 32 bits. */
export function csumPartial(bytes: Uint8Array, seed: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const MOD = (1n << 64n) - 1n;
  let sum = BigInt(seed >>> 0);
  const add = (word: bigint) => {
    sum += word;
    if (sum > MOD) sum -= MOD;
  };
  let at = 0;
  for (; at + 8 <= bytes.length; at += 8) add(view.getBigUint64(at, true));
  let tail = 0n;
  for (let k = bytes.length - 1; k >= at; k--) tail = (tail << 8n) | BigInt(bytes[k]!);
  if (at < bytes.length) add(tail);
  const folded = (sum >> 32n) + (sum & 0xffffffffn);
  return Number(folded > 0xffffffffn ? folded - 0xffffffffn : folded);
}

/** A 32-bit sum folded to 16 bits, uncomplemented (csum_from32to16). */
export function csumFrom32To16(sum: number): number {
  let s = (sum & 0xffff) + (sum >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s & 0xffff;
}
