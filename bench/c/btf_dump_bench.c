// Reference timer for bpfkit's C dumper: libbpf's btf_dump (the engine of `bpftool btf dump ... format c`).
//
//   btf_dump_bench RUNS FILE
//       prints {"parse_ms":[...],"dump_ms":[...],"total_ms":[...],"bytes":N}; each run parses FILE with
//       btf__parse() and dumps every type id with btf_dump__dump_type() through vfprintf into /dev/null
//       (stdio-buffered, so the write(2) calls bpftool makes to a terminal are not part of the figure).
//       The first run of a fresh process is the "cold" figure (page faults on fresh memory included).
//
// Build: cc -O2 -o btf_dump_bench btf_dump_bench.c -lbpf
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sink {
	FILE *out;
	long bytes;
};

static void print_to_sink(void *ctx, const char *fmt, va_list args)
{
	struct sink *s = ctx;
	int n = vfprintf(s->out, fmt, args);

	if (n > 0)
		s->bytes += n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void print_list(const char *name, const double *v, int n)
{
	printf("\"%s\":[", name);
	for (int i = 0; i < n; i++)
		printf("%s%.4f", i ? "," : "", v[i]);
	printf("],");
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[1]) : 0;
	double *parse_ms, *dump_ms, *total_ms;
	struct sink sink = {0};

	if (runs <= 0) {
		fprintf(stderr, "usage: %s RUNS FILE\n", argv[0]);
		return 1;
	}
	sink.out = fopen("/dev/null", "w");
	parse_ms = calloc(runs, sizeof(double));
	dump_ms = calloc(runs, sizeof(double));
	total_ms = calloc(runs, sizeof(double));
	if (!sink.out || !parse_ms || !dump_ms || !total_ms)
		return 2;
	for (int r = 0; r < runs; r++) {
		double t0 = now_ms(), t1;
		struct btf *btf = btf__parse(argv[2], NULL);
		struct btf_dump *d;
		int n;

		if (!btf) {
			fprintf(stderr, "libbpf cannot parse %s: %s\n", argv[2], strerror(errno));
			return 3;
		}
		t1 = now_ms();
		d = btf_dump__new(btf, print_to_sink, &sink, NULL);
		if (!d) {
			fprintf(stderr, "btf_dump__new: %s\n", strerror(errno));
			return 3;
		}
		sink.bytes = 0;
		n = btf__type_cnt(btf);
		for (int id = 1; id < n; id++) {
			if (btf_dump__dump_type(d, id)) {
				fprintf(stderr, "btf_dump__dump_type(%d) failed\n", id);
				return 4;
			}
		}
		fflush(sink.out);
		parse_ms[r] = t1 - t0;
		dump_ms[r] = now_ms() - t1;
		total_ms[r] = now_ms() - t0;
		btf_dump__free(d);
		btf__free(btf);
	}
	printf("{");
	print_list("parse_ms", parse_ms, runs);
	print_list("dump_ms", dump_ms, runs);
	print_list("total_ms", total_ms, runs);
	printf("\"bytes\":%ld}\n", sink.bytes);
	return 0;
}
