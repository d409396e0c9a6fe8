// Oracle for the BTF walk tests: prints "id size align" for every type of a BTF file (raw BTF or an ELF object's
// .BTF), using libbpf's btf__resolve_size and btf__align_of. Build: cc -O2 libbpf_walks.c -lbpf
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args) { return 0; }

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  libbpf_set_print(quiet);
  struct btf *btf = btf__parse(argv[1], NULL);
  if (!btf) return 1;
  static char buf[1 << 16];
  setvbuf(stdout, buf, _IOFBF, sizeof(buf));
  unsigned n = btf__type_cnt(btf);
  for (unsigned id = 1; id < n; id++) {
    long long size = btf__resolve_size(btf, id);
    int align = btf__align_of(btf, id);
    printf("%u %lld %d\n", id, size, align);
  }
  btf__free(btf);
  return 0;
}
