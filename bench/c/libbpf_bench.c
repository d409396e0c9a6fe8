// Reference timings for bench/btf-parse.bench.mjs: the first btf__parse() of a BTF file in a fresh process,
// measured inside the process (file read included, as libbpf does it): wall ms, type count, CPU ms.
// Build: cc -O2 libbpf_bench.c -lbpf -o libbpf_bench. Usage: libbpf_bench btf_parse FILE
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double clock_ms(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 3 || strcmp(argv[1], "btf_parse") != 0) {
    fprintf(stderr, "usage: %s btf_parse FILE\n", argv[0]);
    return 2;
  }
  double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
  struct btf *btf = btf__parse(argv[2], NULL);
  double t1 = clock_ms(CLOCK_MONOTONIC), c1 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
  if (!btf) return 1;
  /* wall ms, type count, CPU ms (robust against other load on the machine) */
  printf("%.4f %u %.4f\n", t1 - t0, btf__type_cnt(btf), c1 - c0);
  btf__free(btf);
  return 0;
}
