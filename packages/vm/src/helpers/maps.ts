// Map helpers: lookup/update/delete, the keyless push/pop/peek of queues, stacks and bloom filters, and
// lookup_percpu_elem. Errors are the kernel's negative errnos in r0; a lookup that finds nothing gives NULL.

import { HelperId, MapType } from "@bpfkit/asm";
import type { Helper } from "../interpreter.js";
import { Errno, isPerCpu, isValueMap, u32At, type VmMap } from "../maps/map.js";
import type { HelperEnvironment } from "./environment.js";
import { bytesAt, mapIn, mapReference, setR0 } from "./registers.js";

const isMapOfMaps = (map: VmMap) => map.type === MapType.ARRAY_OF_MAPS || map.type === MapType.HASH_OF_MAPS;

/** A lookup's answer for the program: the value's address, or for a map of maps a reference to the inner map. */
function lookupResult(map: VmMap, at: number | undefined): bigint | number {
  if (at === undefined) return 0;
  return isMapOfMaps(map) ? mapReference(u32At(map.value(at))) : at;
}

export function mapHelpers(env: HelperEnvironment): [number, Helper][] {
  const valueMap = (regs: Parameters<Helper>[0]) => {
    const map = mapIn(env, regs);
    return map && isValueMap(map) ? map : undefined;
  };
  return [
    [
      HelperId.map_lookup_elem,
      (regs, memory, pc) => {
        const map = mapIn(env, regs);
        if (!map) return setR0(regs, 0);
        const key = bytesAt(memory, regs, 2, map.keySize, false, pc);
        setR0(regs, lookupResult(map, isPerCpu(map) ? map.lookupOnCpu(key, 0) : map.lookup(key)));
      },
    ],
    [
      HelperId.map_lookup_percpu_elem,
      (regs, memory, pc) => {
        const map = mapIn(env, regs);
        if (!map || !isPerCpu(map) || regs.lo[3]! >= map.cpus || regs.hi[3] !== 0) return setR0(regs, 0);
        setR0(regs, map.lookupOnCpu(bytesAt(memory, regs, 2, map.keySize, false, pc), regs.lo[3]!) ?? 0);
      },
    ],
    [
      HelperId.map_update_elem,
      (regs, memory, pc) => {
        const map = mapIn(env, regs);
        if (!map) return setR0(regs, -Errno.EINVAL);
        const key = bytesAt(memory, regs, 2, map.keySize, false, pc).slice();
        const value = bytesAt(memory, regs, 3, map.valueSize, false, pc).slice();
        if (regs.hi[4] !== 0) return setR0(regs, -Errno.EINVAL); // flags are a u64
        setR0(regs, -map.update(key, value, regs.lo[4]!));
      },
    ],
    [
      HelperId.map_delete_elem,
      (regs, memory, pc) => {
        const map = mapIn(env, regs);
        if (!map) return setR0(regs, -Errno.EINVAL);
        setR0(regs, -map.delete(bytesAt(memory, regs, 2, map.keySize, false, pc)));
      },
    ],
    [
      HelperId.map_push_elem,
      (regs, memory, pc) => {
        const map = valueMap(regs);
        if (!map) return setR0(regs, -Errno.EINVAL);
        setR0(regs, -map.push(bytesAt(memory, regs, 2, map.valueSize, false, pc).slice(), regs.lo[3]!));
      },
    ],
    ...[HelperId.map_pop_elem, HelperId.map_peek_elem].map((id): [number, Helper] => [
      id,
      (regs, memory, pc) => {
        const map = valueMap(regs);
        if (!map) return setR0(regs, -Errno.EINVAL);
        // A bloom filter's peek reads the value it tests; a queue's writes the value it finds.
        const into = bytesAt(memory, regs, 2, map.valueSize, map.type !== MapType.BLOOM_FILTER, pc);
        setR0(regs, -(id === HelperId.map_pop_elem ? map.pop(into) : map.peek(into)));
      },
    ]),
    // The engines run tail calls themselves (RunOptions.tailCall); without a prog array it falls through.
    [HelperId.tail_call, (regs) => setR0(regs, -Errno.ENOENT)],
  ];
}
