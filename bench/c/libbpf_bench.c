// Reference timings for bench/btf-parse.bench.mjs: the first btf__parse() of a BTF file in a fresh process,
// measured inside the process (file read included, as libbpf does it), printed as milliseconds.
// Build: cc -O2 libbpf_bench.c -lbpf -o libbpf_bench. Usage: libbpf_bench btf_parse FILE
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 3 || strcmp(argv[1], "btf_parse") != 0) {
    fprintf(stderr, "usage: %s btf_parse FILE\n", argv[0]);
    return 2;
  }
  double t0 = now_ms();
  struct btf *btf = btf__parse(argv[2], NULL);
  double t1 = now_ms();
  if (!btf) return 1;
  printf("%.4f %u\n", t1 - t0, btf__type_cnt(btf));
  btf__free(btf);
  return 0;
}
