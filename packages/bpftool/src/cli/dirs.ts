// Directory listings and the mount table as the libc calls bpftool makes see them: readdir order (fs.readdirSync
// would sort) and getmntent's fields (octal escapes such as \040 decoded).
import { type Dirent, opendirSync, readFileSync } from "node:fs";

/**
 * The entries of `dir` in the order the file system lists them; none when it cannot be opened. A read that fails
 * part way (the directory removed, the process gone) keeps what was read.
 */
export function readDirInOrder(dir: string): Dirent[] {
  let handle: ReturnType<typeof opendirSync>;
  try {
    handle = opendirSync(dir);
  } catch {
    return [];
  }
  const entries: Dirent[] = [];
  try {
    for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) entries.push(entry);
  } catch {
    // what was read stays
  } finally {
    handle.closeSync();
  }
  return entries;
}

export interface MountEntry {
  readonly dir: string;
  readonly type: string;
}

/** The mounts of /proc/mounts in its order (getmntent), or undefined when it cannot be read. */
export function mountTable(): MountEntry[] | undefined {
  let text: string;
  try {
    text = readFileSync("/proc/mounts", "utf8");
  } catch {
    return undefined;
  }
  const decode = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  const mounts: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    if (fields.length >= 3) mounts.push({ dir: decode(fields[1] as string), type: fields[2] as string });
  }
  return mounts;
}
