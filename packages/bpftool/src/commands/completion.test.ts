// Ours, bash completion: candidates from bpftool's grammar, the script yargs writes, and the script at work in a
// real bash (COMP_WORDS set as readline would, the completion function run, COMPREPLY read back).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BPFTOOL_BIN, ours } from "../../../../test/support/bpftool.js";
import { describeWith, onPath } from "../../../../test/support/env.js";
import { candidates } from "./completion.js";

describe("completion candidates", () => {
  it("objects, then commands (prefixes resolve as bpftool resolves them), then each command's keywords", async () => {
    expect(await candidates(["bpftool", ""])).toEqual(expect.arrayContaining(["prog", "map", "struct_ops", "iter"]));
    expect(await candidates(["bpftool", "-j", "p", ""])).toContain("loadall");
    expect(await candidates(["bpftool", "link", ""])).toEqual(["show", "list", "help", "pin", "detach"]);
    expect(await candidates(["bpftool", "f", "p", ""])).toEqual([
      "kernel",
      "dev",
      "full",
      "unprivileged",
      "macros",
      "prefix",
    ]);
    expect(await candidates(["bpftool", "cgroup", "attach", "/sys/fs/cgroup", ""])).toContain("cgroup_inet_ingress");
    expect(await candidates(["bpftool", "-"])).toContain("--json");
    // values: files (bash's default) after pinned, a base BTF file after -B
    expect(await candidates(["bpftool", "prog", "show", "pinned", ""])).toEqual([]);
    expect(await candidates(["bpftool", "-B", ""])).toEqual([]);
    expect(await candidates(["bpftool", "-B", "x", "ne", ""])).toEqual(["show", "list", "attach", "detach", "help"]);
    expect(await candidates(["bpftool", "nope", ""])).toEqual([]);
  });

  it("prints the script and the protocol's answers through main()", async () => {
    const script = await ours(["--completion"]);
    expect(script.status).toBe(0);
    expect(script.stdout).toContain("complete -o bashdefault -o default -F _bpftool_yargs_completions bpftool");
    expect(script.stdout).toContain("bpftool --get-yargs-completions");
    expect(script.stdout).toContain("Installation: bpftool --completion >> ~/.bashrc");
    expect(await ours(["--completion", "bash"])).toEqual(script);
    expect((await ours(["--completion", "zsh"])).status).toBe(255);
    const answer = await ours(["--get-yargs-completions", "bpftool", "struct_ops", ""]);
    expect(answer).toEqual({ stdout: "show\nlist\nregister\nunregister\ndump\nhelp\n", stderr: "", status: 0 });
    // elsewhere on the command line the words are bpftool's: an unknown option, as bpftool says
    expect((await ours(["-j", "--completion"])).stdout).toContain("unrecognized option '--completion'");
  });
});

describeWith(["root"], "the completion script in bash", () => {
  const complete = (line: string): string[] => {
    // the installed bin answers as `bpftool`: put it first on PATH under that name
    const script = `
      set -e
      dir=$(mktemp -d); printf '#!/bin/sh\nexec "%s" "$@"\n' "${BPFTOOL_BIN}" > "$dir/bpftool"
      chmod +x "$dir/bpftool"; export PATH="$dir:$PATH"
      source <(bpftool --completion)
      COMP_WORDS=(${line}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
      _bpftool_yargs_completions
      printf '%s\\n' "\${COMPREPLY[@]}"
      rm -r "$dir"`;
    const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    return r.stdout.split("\n").filter((l) => l !== "");
  };

  it("completes objects, commands and keywords by prefix", () => {
    expect(onPath("bash")).toBe(true);
    expect(complete(`bpftool st`)).toEqual(["struct_ops"]);
    expect(complete(`bpftool -j prog d`)).toEqual(["dump", "detach"]);
    expect(complete(`bpftool feature list_builtins ma`)).toEqual(["map_types"]);
    expect(complete(`bpftool net attach xdp`)).toEqual(["xdp", "xdpgeneric", "xdpdrv", "xdpoffload"]);
    // ids of existing links after `link show id` (the list may be empty on this machine; each must be a number)
    for (const id of complete(`bpftool link show id ""`)) expect(id).toMatch(/^\d+$/);
  });
});
