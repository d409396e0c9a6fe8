// The executable: `bpftool` as the package's bin runs it (bundled into dist/bpftool.cjs by scripts/bundle-cli.mjs).
import { main } from "./main.js";

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(255);
  },
);
