// Reference timer for bpfkit's static linker: libbpf 1.1's bpf_linker, the code behind `bpftool gen object`.
//
//   link_harness OUT REPEAT IN...
//       links IN... into OUT, REPEAT times in one process (bpf_linker__new, bpf_linker__add_file per input,
//       bpf_linker__finalize, bpf_linker__free), and prints {"times":[ms,...],"bytes":size of OUT}.
//       Each time covers what bpftool does: reading the inputs (libelf), linking, BTF dedup and writing OUT.
//       The first time is cold (libelf/libbpf first use, fresh malloc arenas), the rest warm.
//
// Build: cc -O2 -o link_harness link_harness.c -lbpf
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* libbpf's warnings would go to stderr inside the timed part. */
static int print_none(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

static int link_once(const char *out, int count, char **inputs)
{
	struct bpf_linker *linker = bpf_linker__new(out, NULL);
	int err = 0;

	if (!linker) {
		err = -errno;
		fprintf(stderr, "link_harness: cannot create %s: %s\n", out, strerror(errno));
	}
	for (int i = 0; !err && i < count; i++) {
		err = bpf_linker__add_file(linker, inputs[i], NULL);
		if (err)
			fprintf(stderr, "link_harness: cannot add %s: %s\n", inputs[i], strerror(-err));
	}
	if (!err) {
		err = bpf_linker__finalize(linker);
		if (err)
			fprintf(stderr, "link_harness: cannot finalize %s: %s\n", out, strerror(-err));
	}
	bpf_linker__free(linker);
	return err;
}

int main(int argc, char **argv)
{
	struct stat st;
	int repeat;

	if (argc < 4 || (repeat = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: link_harness OUT REPEAT IN...\n");
		return 2;
	}
	libbpf_set_print(print_none);
	double *times = calloc(repeat, sizeof(*times));
	for (int r = 0; r < repeat; r++) {
		double t0 = now_ms();
		if (link_once(argv[1], argc - 3, argv + 3))
			return 1;
		times[r] = now_ms() - t0;
	}
	if (stat(argv[1], &st))
		return 1;
	printf("{\"times\":[");
	for (int r = 0; r < repeat; r++)
		printf("%s%.4f", r ? "," : "", times[r]);
	printf("],\"bytes\":%lld}\n", (long long)st.st_size);
	free(times);
	return 0;
}
