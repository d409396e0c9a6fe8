// Test oracle helper: prints the jited_ksyms addresses of a loaded program (one hex address per line), which
// bpftool uses to name bpf-to-bpf calls in `prog dump xlated` but does not print itself.
// Usage: prog_ksyms PROG_ID
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PROG_ID\n", argv[0]);
    return 2;
  }
  int fd = bpf_prog_get_fd_by_id((unsigned)strtoul(argv[1], NULL, 10));
  if (fd < 0) {
    perror("bpf_prog_get_fd_by_id");
    return 1;
  }
  struct bpf_prog_info info;
  unsigned int len = sizeof(info);
  memset(&info, 0, sizeof(info));
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
    perror("bpf_obj_get_info_by_fd");
    return 1;
  }
  unsigned int count = info.nr_jited_ksyms;
  unsigned long long *addrs = calloc(count ? count : 1, sizeof(*addrs));
  memset(&info, 0, sizeof(info));
  info.nr_jited_ksyms = count;
  info.jited_ksyms = (unsigned long long)(unsigned long)addrs;
  len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
    perror("bpf_obj_get_info_by_fd");
    return 1;
  }
  for (unsigned int i = 0; i < count; i++) printf("%llx\n", addrs[i]);
  close(fd);
  return 0;
}
