// Explicit padding inside a struct body (libbpf 1.1's btf_dump_emit_bit_padding, the revised version). A gap
// between where the previous member ended and where the next starts is closed with anonymous bitfields such as
// `long: 64;`, using the compiler's own alignment where it would produce the same layout anyway, and a zero-width
// `long: 0;` marker where only an alignment jump is needed.
import { BtfDumpError } from "./errors.js";
import { type DumpState, indent } from "./state.js";
import type { ByteWriter } from "./writer.js";

/** One anonymous padding bitfield: `\n<tabs><unit>: <bits>;`. */
function writeUnit(w: ByteWriter, tabs: number, unit: string, bits: number): void {
  w.newline(tabs);
  w.text(unit);
  w.text(": ");
  w.int(bits);
  w.byte(59);
}

/**
 * libbpf would write a gap of any size as that many `long: 64;` lines (a 4 GiB struct: 67 million lines). Past
 * a million lines for one gap (8 MiB of padding) the BTF is nonsense and we refuse instead of filling memory.
 */
const MAX_PADDING_LINES = 1 << 20;

type PaddingUnits = readonly (readonly [string, number])[];

/** Padding units from widest to narrowest; `long` is as wide as a pointer. */
const UNITS_64: PaddingUnits = [
  ["long", 64],
  ["int", 32],
  ["short", 16],
  ["char", 8],
];
const UNITS_32: PaddingUnits = [
  ["long", 32],
  ["int", 32],
  ["short", 16],
  ["char", 8],
];

/** Round `value` up to a multiple of `step` with C int division (truncating), like the kernel's roundup(). */
function roundUp(value: number, step: number): number {
  return Math.trunc((value + step - 1) / step) * step;
}

/**
 * Writes padding for the bits between `from` and `to`. `nextAlign` is the byte alignment of the member at `to`;
 * `inBitfield` says the gap sits between two bitfields, where widths must be spelled out.
 */
export function writeBitPadding(
  st: DumpState,
  from: number,
  to: number,
  nextAlign: number,
  inBitfield: boolean,
  level: number,
): void {
  if (from >= to) return;
  const pad = indent(level);
  const w = st.w;
  const units = st.pointerSize === 4 ? UNITS_32 : UNITS_64;
  let cur = from;
  // The widest unit whose next boundary does not overshoot the gap.
  let unitIndex = 0;
  let newOffset = 0;
  for (; unitIndex < units.length; unitIndex++) {
    newOffset = roundUp(cur, units[unitIndex]![1]);
    if (newOffset <= to) break;
  }
  // libbpf leaves the loop variables at the last (char) unit when none fits.
  if (unitIndex === units.length) unitIndex = units.length - 1;
  let unitName = units[unitIndex]![0];
  let unitBits = units[unitIndex]![1];

  if (newOffset > cur && newOffset <= to) {
    // An explicit jump to the boundary is needed when the next member's own alignment would not land there,
    // or when a `unit: n` for the rest would fit into the hole and be swallowed by it.
    if (
      inBitfield ||
      (newOffset === to && roundUp(cur, nextAlign * 8) !== newOffset) ||
      (newOffset !== to && to - newOffset <= newOffset - cur)
    ) {
      writeUnit(w, pad, unitName, inBitfield ? newOffset - cur : 0);
    }
    cur = newOffset;
  }

  // From an aligned offset: whole units, then the smallest unit that covers the remainder.
  if ((to - cur) / unitBits > MAX_PADDING_LINES) {
    throw new BtfDumpError("TOO_LARGE", `padding gap of ${to - cur} bits in a struct body`, st.currentStruct);
  }
  while (cur !== to) {
    const bits = Math.min(to - cur, unitBits);
    if (bits === unitBits) {
      writeUnit(w, pad, unitName, unitBits);
      cur += bits;
      continue;
    }
    for (let i = units.length - 1; i >= 0; i--) {
      unitName = units[i]![0];
      unitBits = units[i]![1];
      if (unitBits < bits) continue;
      writeUnit(w, pad, unitName, bits);
      cur += bits;
      break;
    }
  }
}
