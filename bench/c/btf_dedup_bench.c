// Oracle and reference timer for bpfkit's BTF dedup: runs libbpf's btf__dedup() on a raw BTF file.
//
//   btf_dedup_bench dedup IN.btf OUT.btf [--base BASE.btf] [--ext IN.ext OUT.ext]
//       dedups IN (split on BASE if given), writes btf__raw_data() to OUT (and the rewritten .BTF.ext),
//       prints {"types":N,"kinds":{"INT":n,...}} for the output (split part only).
//   btf_dedup_bench time IN.btf RUNS [--base BASE.btf]
//       prints {"times_ms":[...],"median_ms":m,"min_ms":a,"max_ms":b,"runs":RUNS}; each run parses a fresh copy
//       from the file (not timed) and times btf__dedup() alone.
//
// Build: cc -O2 -o btf_dedup_bench btf_dedup_bench.c -lbpf
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[] = {
	"UNKN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF", "VOLATILE",
	"CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG", "TYPE_TAG", "ENUM64",
};

static void *read_file(const char *path, __u32 *size)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long len;

	if (!f) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(len ? len : 1);
	if (!buf || fread(buf, 1, len, f) != (size_t)len) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	*size = (__u32)len;
	return buf;
}

static void write_file(const char *path, const void *data, __u32 size)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(2);
	}
}

/* libbpf 1.1's shared library exports no btf__new_split(), so raw BTF is parsed from its file. */
static struct btf *load(const char *path, struct btf *base)
{
	struct btf *btf = btf__parse_raw_split(path, base);

	if (!btf) {
		fprintf(stderr, "libbpf cannot parse the BTF: %s\n", strerror(errno));
		exit(3);
	}
	return btf;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int do_dedup(const char *in, const char *out, struct btf *base, const char *ext_in, const char *ext_out)
{
	__u32 ext_size, out_size;
	struct btf *btf = load(in, base);
	struct btf_ext *ext = NULL;
	LIBBPF_OPTS(btf_dedup_opts, opts);
	unsigned counts[20] = {0};
	const void *raw;
	int err, id, first, n;

	if (ext_in) {
		void *ext_data = read_file(ext_in, &ext_size);

		ext = btf_ext__new(ext_data, ext_size);
		if (!ext) {
			fprintf(stderr, "libbpf cannot parse the .BTF.ext: %s\n", strerror(errno));
			return 3;
		}
		opts.btf_ext = ext;
	}
	err = btf__dedup(btf, &opts);
	if (err) {
		fprintf(stderr, "btf__dedup failed: %d\n", err);
		return 4;
	}
	raw = btf__raw_data(btf, &out_size);
	write_file(out, raw, out_size);
	if (ext) {
		raw = btf_ext__get_raw_data(ext, &out_size);
		write_file(ext_out, raw, out_size);
	}

	first = base ? btf__type_cnt(base) : 1;
	n = btf__type_cnt(btf);
	for (id = first; id < n; id++)
		counts[btf_kind(btf__type_by_id(btf, id))]++;
	printf("{\"types\":%d,\"kinds\":{", n - first);
	for (id = 1, err = 0; id < 20; id++) {
		if (!counts[id])
			continue;
		printf("%s\"%s\":%u", err ? "," : "", kind_names[id], counts[id]);
		err = 1;
	}
	printf("}}\n");
	return 0;
}

static int do_time(const char *in, int runs, struct btf *base)
{
	double *t = calloc(runs, sizeof(*t));
	int i;

	for (i = 0; i < runs; i++) {
		struct btf *btf = load(in, base);
		double t0 = now_ms();

		if (btf__dedup(btf, NULL)) {
			fprintf(stderr, "btf__dedup failed\n");
			return 4;
		}
		t[i] = now_ms() - t0;
		btf__free(btf);
	}
	printf("{\"times_ms\":[");
	for (i = 0; i < runs; i++)
		printf("%s%.4f", i ? "," : "", t[i]);
	qsort(t, runs, sizeof(*t), cmp_double);
	printf("],\"median_ms\":%.4f,\"min_ms\":%.4f,\"max_ms\":%.4f,\"runs\":%d}\n",
	       runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2, t[0], t[runs - 1], runs);
	return 0;
}

int main(int argc, char **argv)
{
	const char *base_path = NULL, *ext_in = NULL, *ext_out = NULL;
	struct btf *base = NULL;
	int i, nargs = 0;
	char *args[3];

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--base") && i + 1 < argc) {
			base_path = argv[++i];
		} else if (!strcmp(argv[i], "--ext") && i + 2 < argc) {
			ext_in = argv[++i];
			ext_out = argv[++i];
		} else if (nargs < 3) {
			args[nargs++] = argv[i];
		}
	}
	if (base_path) {
		base = load(base_path, NULL);
	}
	if (argc >= 2 && !strcmp(argv[1], "dedup") && nargs == 2)
		return do_dedup(args[0], args[1], base, ext_in, ext_out);
	if (argc >= 2 && !strcmp(argv[1], "time") && nargs == 2)
		return do_time(args[0], atoi(args[1]), base);
	fprintf(stderr, "usage: %s dedup IN OUT [--base B] [--ext IN OUT] | time IN RUNS [--base B]\n", argv[0]);
	return 1;
}
