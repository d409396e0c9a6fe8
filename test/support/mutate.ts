// Byte-mutation fuzzing of objects: a seeded generator (same bytes every run) and one loop that mutates a fixture
// many times and requires every outcome to be a spec or the expected typed error, never anything else.

/** xorshift32 in [0, 1): deterministic, so a failing round can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

export interface MutationOptions {
  readonly rounds: number;
  /** Most bytes changed per round (at least one). */
  readonly maxFlips: number;
  /** Byte ranges [start, size) to mutate; default the whole input. */
  readonly ranges?: readonly (readonly [number, number])[];
}

/**
 * Runs `open` on `rounds` mutated copies of `original`, counting results and errors of the `expected` class into
 * `outcomes`; any other throw fails, naming the label and round.
 */
export function openMutated(
  label: string,
  original: Uint8Array,
  rand: () => number,
  options: MutationOptions,
  open: (bytes: Uint8Array) => unknown,
  expected: abstract new (...args: never[]) => Error,
  outcomes: { ok: number; error: number },
): void {
  const ranges = options.ranges ?? [[0, original.length] as const];
  // nothing to mutate would count no outcomes for this input, and the caller's floors might still pass
  if (ranges.length === 0 || ranges.some(([, size]) => size <= 0)) throw new Error(`${label}: no bytes to mutate`);
  for (let round = 0; round < options.rounds; round++) {
    const bytes = new Uint8Array(original);
    const flips = 1 + Math.floor(rand() * options.maxFlips);
    for (let i = 0; i < flips; i++) {
      const [start, size] = ranges[Math.floor(rand() * ranges.length)]!;
      const at = start + Math.floor(rand() * size);
      bytes[at] = rand() < 0.5 ? Math.floor(rand() * 256) : bytes[at]! ^ (1 << Math.floor(rand() * 8));
    }
    try {
      open(bytes);
      outcomes.ok++;
    } catch (error) {
      if (!(error instanceof expected)) {
        throw new Error(`${label} round ${round}: ${(error as Error).name}: ${(error as Error).message}`);
      }
      outcomes.error++;
    }
  }
}
