// The executable: `bpftool` as the package's bin runs it (bundled into dist/bundle/bpftool.cjs by
// scripts/bundle-cli.mjs). The CLI is loaded on demand, so that the command lines with a fast path of their own
// run without it: `btf dump file FILE format c` and `-j btf dump file FILE`, spelled out exactly so, the one-shot
// processes that dump vmlinux (commands/btf/dump-fast.ts).

/** The exit status, and whether the process may end on its own (nothing of the fast path stays running). */
async function run(argv: readonly string[]): Promise<{ status: number; natural: boolean }> {
  const fast = argv[0] === "btf" || argv[1] === "btf" ? await import("./commands/btf/dump-fast.js") : undefined;
  const kind = fast?.fastDumpOf(argv);
  if (fast !== undefined && kind !== undefined) {
    const file = argv[argv.indexOf("file") + 1] as string;
    const status = kind === "c" ? fast.fastCDump(file) : fast.fastJsonDump(file);
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
