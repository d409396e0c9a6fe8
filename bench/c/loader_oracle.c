// libbpf 1.1 oracle for @bpfkit/loader tests and benches (test-only; links -lbpf).
//
//   loader_oracle sections            names on stdin, one per line → "name\tprog_type\tattach_type\trc" lines
//   loader_oracle open FILE           bpf_object__open_file, then JSON of programs and maps
//   loader_oracle load FILE [SKIP]    open + bpf_object__load, then JSON incl. final instructions (hex per slot);
//                                     SKIP is a comma-separated list of programs to set autoload=false on
//   loader_oracle bench FILE N        N × open → median microseconds on stdout (close not timed)
//   loader_oracle loadbench FILE N    N × (open + load) → median microseconds on stdout (close not timed)
//
// JSON is printed by hand: only strings libbpf produced from the object (names) need escaping, and they are
// C identifiers or section names without quotes or backslashes in our fixtures.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args) {
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

static void print_json_string(const char *s) {
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static int cmd_sections(void) {
	char line[4096];
	while (fgets(line, sizeof(line), stdin)) {
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		enum bpf_prog_type type = 0;
		enum bpf_attach_type attach = 0;
		int rc = libbpf_prog_type_by_name(line, &type, &attach);
		printf("%s\t%d\t%d\t%d\n", line, (int)type, (int)attach, rc);
	}
	return 0;
}

static int in_list(const char *list, const char *name) {
	size_t len = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && strncmp(p, name, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int dump(const char *path, int do_load, const char *skip) {
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	long err = libbpf_get_error(obj);
	if (err) {
		printf("{\"error\":%ld}\n", err);
		return 0;
	}
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj) {
		if (in_list(skip, bpf_program__name(p)))
			bpf_program__set_autoload(p, false);
	}
	long load_err = 0;
	if (do_load) {
		/* on failure libbpf 1.1 keeps the relocated instructions until close: print them with the error */
		load_err = bpf_object__load(obj);
		if (load_err && !getenv("LOADER_ORACLE_KEEP_GOING")) {
			printf("{\"error\":%ld}\n", load_err);
			bpf_object__close(obj);
			return 0;
		}
	}
	struct bpf_program *prog;
	struct bpf_map *map;
	int first = 1;
	printf("{\"load_error\":%ld,\"name\":", load_err);
	print_json_string(bpf_object__name(obj));
	printf(",\"kversion\":%u,\"programs\":[", bpf_object__kversion(obj));
	bpf_object__for_each_program(prog, obj) {
		printf("%s{\"name\":", first ? "" : ",");
		first = 0;
		print_json_string(bpf_program__name(prog));
		printf(",\"section\":");
		print_json_string(bpf_program__section_name(prog));
		printf(",\"type\":%d,\"attach\":%d,\"flags\":%u,\"autoload\":%s,\"insn_cnt\":%zu",
		       (int)bpf_program__type(prog), (int)bpf_program__expected_attach_type(prog),
		       bpf_program__flags(prog), bpf_program__autoload(prog) ? "true" : "false",
		       bpf_program__insn_cnt(prog));
		if (do_load) {
			const struct bpf_insn *insns = bpf_program__insns(prog);
			size_t n = bpf_program__insn_cnt(prog);
			printf(",\"insns\":[");
			for (size_t i = 0; i < n; i++) {
				const unsigned char *b = (const unsigned char *)&insns[i];
				printf("%s\"", i ? "," : "");
				for (int k = 0; k < 8; k++)
					printf("%02x", b[k]);
				printf("\"");
			}
			printf("]");
		}
		printf("}");
	}
	printf("],\"maps\":[");
	first = 1;
	bpf_object__for_each_map(map, obj) {
		printf("%s{\"name\":", first ? "" : ",");
		first = 0;
		print_json_string(bpf_map__name(map));
		printf(",\"type\":%d,\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,\"flags\":%u,"
		       "\"numa_node\":%u,\"map_extra\":%llu,\"key_type_id\":%u,\"value_type_id\":%u,\"pin_path\":",
		       (int)bpf_map__type(map), bpf_map__key_size(map), bpf_map__value_size(map),
		       bpf_map__max_entries(map), bpf_map__map_flags(map), bpf_map__numa_node(map),
		       (unsigned long long)bpf_map__map_extra(map), bpf_map__btf_key_type_id(map),
		       bpf_map__btf_value_type_id(map));
		print_json_string(bpf_map__get_pin_path(map));
		size_t size = 0;
		const unsigned char *init = bpf_map__initial_value(map, &size);
		printf(",\"initial\":\"");
		for (size_t i = 0; init && i < size; i++)
			printf("%02x", init[i]);
		printf("\"}");
	}
	printf("]}\n");
	bpf_object__close(obj);
	return 0;
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmd_bench(const char *path, int n, int do_load) {
	double *samples = calloc(n, sizeof(double));
	for (int i = 0; i < n; i++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		struct bpf_object *obj = bpf_object__open_file(path, NULL);
		if (libbpf_get_error(obj))
			return 1;
		if (do_load && bpf_object__load(obj))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		bpf_object__close(obj); /* not timed: closing maps/programs waits on the kernel (RCU) */
		samples[i] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
	}
	qsort(samples, n, sizeof(double), cmp_double);
	printf("%.3f\n", samples[n / 2]);
	free(samples);
	return 0;
}

int main(int argc, char **argv) {
	libbpf_set_print(getenv("LOADER_ORACLE_DEBUG") ? NULL : quiet);
	if (argc >= 2 && strcmp(argv[1], "sections") == 0)
		return cmd_sections();
	if (argc >= 3 && strcmp(argv[1], "open") == 0)
		return dump(argv[2], 0, NULL);
	if (argc >= 3 && strcmp(argv[1], "load") == 0)
		return dump(argv[2], 1, argc >= 4 ? argv[3] : NULL);
	if (argc >= 4 && strcmp(argv[1], "bench") == 0)
		return cmd_bench(argv[2], atoi(argv[3]), 0);
	if (argc >= 4 && strcmp(argv[1], "loadbench") == 0)
		return cmd_bench(argv[2], atoi(argv[3]), 1);
	fprintf(stderr, "usage: loader_oracle sections|open FILE|load FILE [SKIP]|bench FILE N|loadbench FILE N\n");
	return 2;
}
