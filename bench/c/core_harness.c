// libbpf 1.1 oracle for the CO-RE tests and bench (compiled by them with `cc -O2 core_harness.c -lbpf`).
//   core_harness insns OBJ TARGET_BTF|- [PROG]   relocate + load (only PROG if given; btf_custom_path if given),
//                                                print {"ok","err","programs":[{"name","insns":"hex"}]} (final
//                                                instructions from bpf_program__insns, valid even if load failed)
//   core_harness verify PROG_TYPE HEXFILE        load raw instructions with the kernel, print the raw verifier log
//   core_harness time OBJ RUNS                   open+load+close RUNS times, print per-run phase times (ms) taken
//                                                from libbpf's debug-log timestamps: open, vmlinux BTF, CO-RE, load
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int print_stderr(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

static void print_hex(const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		printf("%02x", p[i]);
}

static int cmd_insns(const char *path, const char *target, const char *only)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = strcmp(target, "-") ? target : NULL);
	struct bpf_object *obj;
	struct bpf_program *prog;
	int err, first = 1;

	libbpf_set_print(print_stderr);
	obj = bpf_object__open_file(path, &opts);
	if (!obj) {
		printf("{\"ok\":false,\"err\":%d,\"programs\":[]}\n", -errno);
		return 0;
	}
	if (only) {
		bpf_object__for_each_program(prog, obj)
			bpf_program__set_autoload(prog, strcmp(bpf_program__name(prog), only) == 0);
	}
	err = bpf_object__load(obj);
	printf("{\"ok\":%s,\"err\":%d,\"programs\":[", err ? "false" : "true", err);
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog))
			continue;
		printf("%s{\"name\":\"%s\",\"insns\":\"", first ? "" : ",", bpf_program__name(prog));
		if (bpf_program__insns(prog))
			print_hex(bpf_program__insns(prog), bpf_program__insn_cnt(prog) * sizeof(struct bpf_insn));
		printf("\"}");
		first = 0;
	}
	printf("]}\n");
	bpf_object__close(obj);
	return 0;
}

static int cmd_verify(const char *type, const char *hexfile)
{
	static char log[1 << 20];
	static unsigned char insns[1 << 20];
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	enum bpf_prog_type prog_type;
	size_t n = 0;
	unsigned int byte;
	FILE *f = fopen(hexfile, "r");
	int fd;

	if (!f || libbpf_prog_type_by_name(type, &prog_type, &(enum bpf_attach_type){0}))
		return 2;
	while (n < sizeof(insns) && fscanf(f, "%2x", &byte) == 1)
		insns[n++] = byte;
	fclose(f);
	fd = bpf_prog_load(prog_type, "core_verify", "GPL", (struct bpf_insn *)insns, n / 8, &opts);
	fprintf(stderr, "%s", log);
	printf("%d\n", fd < 0 ? -errno : 0);
	return 0;
}

/* Timestamps of interesting libbpf debug lines during one load. */
static double t_vmlinux_start, t_vmlinux_end, t_core_start, t_core_end, t_last;
static int in_core;

static int print_timed(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char line[512];
	double t = now_ms();

	vsnprintf(line, sizeof(line), fmt, args);
	if (in_core) {
		/* CO-RE ends with its last relo line; the next line may only come after BPF_PROG_LOAD */
		if (strstr(line, "CO-RE") || strstr(line, ": relo #"))
			t_core_end = t;
		else
			in_core = 0;
	}
	if (strstr(line, "found") && strstr(line, "CO-RE relocations")) {
		if (!t_core_start)
			t_core_start = t_last;
		in_core = 1;
	}
	if (strstr(line, "loading kernel BTF"))
		t_vmlinux_start = t;
	t_last = t;
	return 0;
}

static int cmd_time(const char *path, int runs)
{
	printf("[");
	for (int i = 0; i < runs; i++) {
		struct bpf_object *obj;
		double t0, t1, t2;

		t_vmlinux_start = t_vmlinux_end = t_core_start = t_core_end = 0;
		in_core = 0;
		libbpf_set_print(print_timed);
		t0 = now_ms();
		obj = bpf_object__open_file(path, NULL);
		t1 = now_ms();
		t_last = t1;
		if (!obj)
			return 1;
		/* A program the verifier rejects (err_* fixtures) still has gone through CO-RE: keep timing it. */
		bpf_object__load(obj);
		t2 = now_ms();
		bpf_object__close(obj);
		printf("%s{\"open\":%.4f,\"core\":%.4f,\"load\":%.4f,\"upToCoreEnd\":%.4f}", i ? "," : "", t1 - t0,
		       t_core_end - t_core_start, t2 - t1, t_core_end - t0);
	}
	printf("]\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "insns"))
		return cmd_insns(argv[2], argv[3], argc > 4 ? argv[4] : NULL);
	if (argc == 4 && !strcmp(argv[1], "verify"))
		return cmd_verify(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "time"))
		return cmd_time(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: core_harness insns OBJ TARGET|- [PROG] | verify TYPE HEXFILE | time OBJ RUNS\n");
	return 2;
}
