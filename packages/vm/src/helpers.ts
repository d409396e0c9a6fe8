// The helpers a VM program may call, by the kernel's ids (@bpfkit/asm's HelperId): one table assembled from the
// families in helpers/. Each reads its arguments from r1-r5 (pointers checked like the program's own accesses)
// and leaves its result in r0, with the kernel's return conventions (0 or a negative errno; a pointer or NULL).

import type { HelperEnvironment } from "./helpers/environment.js";
import { iterationHelpers } from "./helpers/iteration.js";
import { mapHelpers } from "./helpers/maps.js";
import { outputHelpers } from "./helpers/output.js";
import { packetHelpers } from "./helpers/packet.js";
import { processHelpers } from "./helpers/process.js";
import type { Helper } from "./interpreter.js";

export type { HelperEnvironment, ProbeMemory, ProcessIdentity } from "./helpers/environment.js";
export { MAP_HANDLE } from "./helpers/registers.js";

/** The helper table over `env`. */
export function vmHelpers(env: HelperEnvironment): Map<number, Helper> {
  return new Map([
    ...mapHelpers(env),
    ...outputHelpers(env),
    ...processHelpers(env),
    ...packetHelpers(env),
    ...iterationHelpers(env),
  ]);
}
