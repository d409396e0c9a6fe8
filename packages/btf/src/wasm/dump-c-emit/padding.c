// Twin of dump-c/padding.ts. Units: 0 long, 1 int, 2 short, 3 char; `long` is as wide as a pointer.

// padding.ts MAX_PADDING_LINES: a longer gap is refused.
#define MAX_PADDING_LINES (1 << 20)

static u32 unit_bits(const struct emitter *e, u32 unit) {
  switch (unit) {
  case 0:
    return e->pointer_size == 4 ? 32 : 64;
  case 1:
    return 32;
  case 2:
    return 16;
  default:
    return 8;
  }
}

// One anonymous padding bitfield: `\n<tabs><unit>: <bits>;`.
static void write_unit(struct emitter *e, u32 tabs, u32 unit, i64 bits) {
  put_newline(e, tabs);
  switch (unit) {
  case 0:
    LIT(e, "long: ");
    break;
  case 1:
    LIT(e, "int: ");
    break;
  case 2:
    LIT(e, "short: ");
    break;
  default:
    LIT(e, "char: ");
    break;
  }
  put_i64(e, bits);
  put_byte(e, ';');
}

// The kernel's roundup() with C int division (truncating), on values that do not overflow 64 bits.
static i64 round_up(i64 value, i64 step) {
  return (value + step - 1) / step * step;
}

// Padding for the bits between `from` and `to` (writeBitPadding; same decisions, same order).
static void write_bit_padding(struct emitter *e, i32 from, i32 to, u32 next_align, int in_bitfield, u32 level) {
  if (from >= to) return;
  u32 pad = indent(level);
  i64 cur = from;
  // The widest unit whose next boundary does not overshoot the gap; the last (char) when none fits.
  u32 unit = 0;
  i64 new_offset = 0;
  for (; unit < 4; unit++) {
    new_offset = round_up(cur, unit_bits(e, unit));
    if (new_offset <= to) break;
  }
  if (unit == 4) unit = 3;
  i64 bits_per_unit = unit_bits(e, unit);

  if (new_offset > cur && new_offset <= to) {
    // The TypeScript's roundUp(cur, 0) is NaN, never equal: an unknown alignment always needs the jump.
    i64 next_align_bits = (i64)next_align * 8;
    int lands_naturally = next_align_bits != 0 && round_up(cur, next_align_bits) == new_offset;
    if (in_bitfield || (new_offset == to && !lands_naturally) ||
        (new_offset != to && to - new_offset <= new_offset - cur)) {
      write_unit(e, pad, unit, in_bitfield ? new_offset - cur : 0);
    }
    cur = new_offset;
  }

  if (to - cur > (i64)MAX_PADDING_LINES * bits_per_unit) {
    fail(e, FAIL_TOO_LARGE);
    return;
  }
  while (cur != to && e->failed == 0) {
    i64 bits = to - cur < bits_per_unit ? to - cur : bits_per_unit;
    if (bits == bits_per_unit) {
      write_unit(e, pad, unit, bits_per_unit);
      cur += bits;
      continue;
    }
    // The smallest unit that covers the remainder; it stays the unit from here on.
    for (i32 u = 3; u >= 0; u--) {
      unit = (u32)u;
      bits_per_unit = unit_bits(e, unit);
      if (bits_per_unit < bits) continue;
      write_unit(e, pad, unit, bits);
      cur += bits;
      break;
    }
  }
}
