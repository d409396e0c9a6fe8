// The executable: `bpftool` as the package's bin runs it (bundled into dist/bundle/bpftool.cjs by
// scripts/bundle-cli.mjs). The CLI is loaded on demand, so that the one command line with a fast path of its own
// runs without it: `btf dump file FILE format c`, spelled out and without options, the one-shot process that
// makes a vmlinux.h (commands/btf/c-dump-fast.ts).

function isFastCDump(argv: readonly string[]): boolean {
  const [object, command, source, file, format, c] = argv;
  return (
    argv.length === 6 &&
    object === "btf" &&
    command === "dump" &&
    source === "file" &&
    file !== undefined &&
    !file.startsWith("-") &&
    format === "format" &&
    c === "c"
  );
}

/** The exit status, and whether the process may end on its own (nothing of the fast path stays running). */
async function run(argv: readonly string[]): Promise<{ status: number; natural: boolean }> {
  if (isFastCDump(argv)) {
    const status = (await import("./commands/btf/c-dump-fast.js")).fastCDump(argv[3] as string);
    if (status !== undefined) return { status, natural: true };
  }
  return { status: await (await import("./main.js")).main(argv), natural: false };
}

run(process.argv.slice(2)).then(
  ({ status, natural }) => {
    // process.exit() costs a one-shot dump memory of its own; other commands may leave handles open, so they exit.
    if (natural) process.exitCode = status;
    else process.exit(status);
  },
  (error: unknown) => {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(255);
  },
);
