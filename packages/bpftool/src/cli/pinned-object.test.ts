// glibc's dirname(3), whose in-place cut shows in bpftool's "bpf obj get (...)" messages.
import { describe, expect, it } from "vitest";
import { glibcDirname } from "./pinned-object.js";

describe("glibcDirname", () => {
  it("cuts as glibc does", () => {
    expect(glibcDirname("/tmp")).toEqual({ dir: "/", argument: "/" });
    expect(glibcDirname("/sys/fs/bpf/a/b")).toEqual({ dir: "/sys/fs/bpf/a", argument: "/sys/fs/bpf/a" });
    expect(glibcDirname("a//b")).toEqual({ dir: "a", argument: "a" });
    expect(glibcDirname("/tmp/x/")).toEqual({ dir: "/tmp", argument: "/tmp" });
    expect(glibcDirname("//x")).toEqual({ dir: "//", argument: "//" });
    expect(glibcDirname("///")).toEqual({ dir: "/", argument: "/" });
    expect(glibcDirname("file")).toEqual({ dir: ".", argument: "file" });
  });
});
