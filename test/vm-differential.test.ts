// Random programs through the kernel and both VM engines. The fixture test (vm-backend.test.ts) covers what clang
// emits; this one covers what clang seldom does: seeded random XDP and socket filter programs (ALU/ALU32 with
// division by zero and signed division, movsx, byte swaps, shifts, stack loads/stores/ldsx, atomics, forward
// JMP/JMP32 and gotol, packet and context reads, array and hash map helpers; test/support/random-programs.ts).
// Each program the kernel verifier accepts runs on the same packets in the kernel, the interpreter and the
// compiled engine, which must give the same return value and data_out, and leave the same map contents. The
// acceptance rate has a floor, so the generator cannot drift into programs nobody runs.
//
// Seeds: a fixed one, and a fresh one per run (BPFKIT_VM_SEED, else the time), printed with how to replay it.
// A mismatch names the seed, the program index and its listing.

import { KernelBackend } from "@bpfkit/kernel";
import type { Backend, Fd } from "@bpfkit/loader";
import { VmBackend, type VmEngine } from "@bpfkit/vm";
import { expect, it } from "vitest";
import { describeWith } from "./support/env.js";
import { seededRandom } from "./support/mutate.js";
import { ipv4Packet } from "./support/packets.js";
import {
  describeProgram,
  PACKET_DUMP_END,
  programBytes,
  type RandomProgram,
  randomProgram,
} from "./support/random-programs.js";

const FIXED_SEED = 0x5eed_b9f;
const FRESH_SEED = Number(process.env.BPFKIT_VM_SEED ?? Date.now() % 0x7fffffff);
/** Programs per seed (BPFKIT_VM_PROGRAMS for a longer hunt): the file stays well under 20 s on two shared cores. */
const PROGRAMS = Number(process.env.BPFKIT_VM_PROGRAMS ?? 1500);
/** Share of the generated programs the kernel verifier must accept. */
const MIN_ACCEPTED = 0.9;
const ENGINES: readonly VmEngine[] = ["interpreter", "compiled"];
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/**
 * Test packets: IPv4 as the fixtures use, one long enough for the register dump, short random ones (random
 * destination MACs and EtherTypes, 802.3 length fields included: the skb's pkt_type and protocol come from them).
 */
function packetsFor(seed: number): Uint8Array[] {
  const rand = seededRandom(seed || 1);
  const bytes = (n: number) => {
    const p = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    return p;
  };
  const long = bytes(PACKET_DUMP_END + 8);
  long.set(ipv4Packet(IPPROTO_TCP).subarray(0, 34));
  return [ipv4Packet(IPPROTO_UDP), long, bytes(20), bytes(14)];
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** An error as one line: its class, code and instruction when it has them, and its message. */
function describeError(error: unknown): string {
  const e = error as Error & { code?: string; pc?: number };
  return `${e.name}${e.code ? ` ${e.code}` : ""}${e.pc === undefined ? "" : ` at insn ${e.pc}`}: ${e.message}`;
}

function outcome(run: () => string): string {
  try {
    return run();
  } catch (error) {
    return describeError(error);
  }
}

/** Every entry of `map`, sorted by key (hash maps iterate in different orders), as text. */
function mapContents(backend: Backend, map: Fd, keySize: number, valueSize: number): string[] {
  const entries: string[] = [];
  let key: Uint8Array | null = null;
  const next = new Uint8Array(keySize);
  const value = new Uint8Array(valueSize);
  while (backend.mapGetNextKey(map, key, next)) {
    key = next.slice();
    entries.push(backend.mapLookup(map, key, value) ? `${hex(key)}=${hex(value)}` : `${hex(key)} vanished`);
  }
  return entries.sort();
}

interface Observation {
  /** One entry per packet: retval and data_out, or the error. */
  readonly runs: string[];
  /** One entry per map: its contents after all the runs. */
  readonly maps: string[][];
}

/** Loads `p` into `backend` (with fresh maps), runs it on every packet, reads the maps back. */
function observe(backend: Backend, p: RandomProgram, packets: readonly Uint8Array[]): Observation {
  const maps = p.maps.map((m) => backend.createMap(m));
  try {
    const insns = programBytes(
      p,
      maps.map((m) => m.value),
    );
    const { fd } = backend.loadProgram({ progType: p.progType, insns, license: "GPL", name: `rnd_${p.index}` });
    try {
      const runs = packets.map((dataIn) =>
        outcome(() => {
          const r = backend.testRun(fd, { dataIn });
          return `retval ${r.retval} data_out ${hex(r.dataOut)}`;
        }),
      );
      return { runs, maps: maps.map((m, k) => mapContents(backend, m, p.maps[k]!.keySize, p.maps[k]!.valueSize)) };
    } finally {
      fd.close();
    }
  } finally {
    for (const m of maps) m.close();
  }
}

/** The first difference between two observations, or undefined. */
function difference(kernel: Observation, vm: Observation, packets: readonly Uint8Array[]): string | undefined {
  for (let i = 0; i < kernel.runs.length; i++) {
    if (vm.runs[i] !== kernel.runs[i]) {
      return `packet #${i} (${hex(packets[i]!)}):\n  kernel: ${kernel.runs[i]}\n  vm:     ${vm.runs[i]}`;
    }
  }
  for (let k = 0; k < kernel.maps.length; k++) {
    const [a, b] = [kernel.maps[k]!.join(" "), vm.maps[k]!.join(" ")];
    if (a !== b) return `map #${k} after the runs:\n  kernel: ${a}\n  vm:     ${b}`;
  }
  return undefined;
}

describeWith(["root"], "random programs: the kernel, the VM interpreter and the VM compiled engine agree", () => {
  const seeds = [
    ["fixed", FIXED_SEED],
    ["fresh", FRESH_SEED],
  ] as const;

  it.each(seeds)("%s seed %i", (which, seed) => {
    if (which === "fresh") {
      console.log(
        `vm-differential: fresh seed ${seed}; replay with BPFKIT_VM_SEED=${seed} pnpm exec vitest run test/vm-differential.test.ts` +
          " (one program: randomProgram(seed, index) from test/support/random-programs.ts)",
      );
    }
    const packets = packetsFor(seed);
    const kernel = new KernelBackend();
    let accepted = 0;
    const refusals = new Map<string, number>();
    const mismatches: string[] = [];
    /** What the kernel returned for the first packet: a broken epilogue would make these few. */
    const retvals = new Set<string>();
    try {
      for (let index = 0; index < PROGRAMS; index++) {
        const p = randomProgram(seed, index);
        let expected: Observation;
        try {
          expected = observe(kernel, p, packets);
        } catch (error) {
          // a program the verifier refuses proves nothing about the VM
          const reason = (error as Error).message.split("\n")[0]!.replace(/\d+/g, "N");
          refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
          continue;
        }
        accepted++;
        retvals.add(expected.runs[0]!.split(" data_out")[0]!);
        for (const engine of ENGINES) {
          const vm = new VmBackend({ engine });
          let got: Observation | string;
          try {
            got = observe(vm, p, packets);
          } catch (error) {
            got = describeError(error);
          } finally {
            vm.close();
          }
          const diff = typeof got === "string" ? `the VM refused it: ${got}` : difference(expected, got, packets);
          if (diff !== undefined) {
            const listing = describeProgram(
              p,
              programBytes(
                p,
                p.maps.map((_, k) => k),
              ),
            );
            mismatches.push(`${engine} differs from the kernel: ${diff}\non ${listing}`);
          }
        }
      }
    } finally {
      kernel.close();
    }
    const refused = [...refusals].map(([reason, n]) => `${n} x ${reason}`).join("\n");
    console.log(
      `vm-differential seed ${seed}: ${accepted}/${PROGRAMS} programs accepted by the kernel, ${retvals.size} distinct return values`,
    );
    expect(
      accepted / PROGRAMS,
      `seed ${seed}: the verifier refused too many programs:\n${refused}`,
    ).toBeGreaterThanOrEqual(MIN_ACCEPTED);
    expect(retvals.size, "the programs' return values hardly differ").toBeGreaterThan(accepted * 0.9);
    expect(mismatches.slice(0, 3), `seed ${seed}: ${mismatches.length} mismatches`).toEqual([]);
  });
});
