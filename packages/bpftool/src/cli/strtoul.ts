// C's strtoul(3) as bpftool uses it to read numbers from the command line: ids, sizes, key and value bytes.
// Its leniencies are part of what bpftool accepts (leading blanks, a sign, `0x`/`0` prefixes with base 0, an empty
// word read as 0, wrap-around of negative numbers), so they are kept.

export interface StrtoulResult {
  /** The value as an unsigned 64-bit number (ULONG_MAX on overflow). */
  readonly value: bigint;
  /** Whether the whole word was consumed (bpftool's `*endptr == '\0'` check). */
  readonly complete: boolean;
}

const ULONG_MAX = (1n << 64n) - 1n;

function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

const isSpace = (c: string | undefined) =>
  c === " " || c === "\t" || c === "\n" || c === "\v" || c === "\f" || c === "\r";

/** strtoul(word, &end, base) for base 0, 8, 10 or 16. */
export function strtoul(word: string, base = 0): StrtoulResult {
  let i = 0;
  while (isSpace(word[i])) i++;
  let negative = false;
  if (word[i] === "+" || word[i] === "-") {
    negative = word[i] === "-";
    i++;
  }
  const hexPrefix =
    word[i] === "0" && (word[i + 1] === "x" || word[i + 1] === "X") && digitValue(word[i + 2] ?? "") < 16;
  if ((base === 0 || base === 16) && hexPrefix) {
    base = 16;
    i += 2;
  } else if (base === 0) {
    base = word[i] === "0" ? 8 : 10;
  }
  const start = i;
  let value = 0n;
  let overflow = false;
  const b = BigInt(base);
  for (; i < word.length; i++) {
    const d = digitValue(word[i] as string);
    if (d >= base) break;
    value = value * b + BigInt(d);
    if (value > ULONG_MAX) overflow = true;
  }
  // No digits at all: nothing is consumed, the end pointer stays at the start of the word.
  if (i === start) return { value: 0n, complete: word.length === 0 };
  if (overflow) return { value: ULONG_MAX, complete: i === word.length };
  if (negative) value = (ULONG_MAX + 1n - value) & ULONG_MAX;
  return { value, complete: i === word.length };
}

/** strtoul truncated to C's unsigned int (bpftool stores ids and sizes in __u32). */
export function strtoulU32(word: string, base = 0): { value: number; complete: boolean } {
  const r = strtoul(word, base);
  return { value: Number(BigInt.asUintN(32, r.value)), complete: r.complete };
}
