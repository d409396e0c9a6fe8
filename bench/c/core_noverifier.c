// libbpf 1.1: open + load of an object minus the kernel's own BPF_PROG_LOAD time (verifier + JIT), for
// bench/loader-fresh.bench.mjs. libbpf issues bpf(2) through syscall(2); this executable defines syscall() itself,
// which the dynamic linker binds libbpf's calls to (the executable comes first in symbol lookup), so every
// BPF_PROG_LOAD is timed where it enters the kernel and forwarded unchanged to the raw system call.
//   core_noverifier OBJ RUNS   prints [{"total","progLoad","open"}] per run, ms; run 0 is the fresh-process run;
//                              progLoad sums the BPF_PROG_LOADs of the object's programs (not the feature probes)
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>

#include <string.h>

/* every BPF_PROG_LOAD of a run: libbpf's feature probes load tiny programs too; only the object's count */
static struct {
	char name[BPF_OBJ_NAME_LEN];
	double ms;
} loads[256];
static int load_count;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#if !defined(__x86_64__)
#error "raw system call stub written for x86-64"
#endif

static long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

long syscall(long nr, ...)
{
	va_list ap;
	long a[6];
	double t0 = 0;
	long ret;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == __NR_bpf && a[0] == BPF_PROG_LOAD)
		t0 = now_ms();
	ret = raw_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (t0 && load_count < 256) {
		const union bpf_attr *attr = (const union bpf_attr *)a[1];
		memcpy(loads[load_count].name, attr->prog_name, BPF_OBJ_NAME_LEN);
		loads[load_count].name[BPF_OBJ_NAME_LEN - 1] = 0;
		loads[load_count++].ms = now_ms() - t0;
	}
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 1;

	if (argc < 2) {
		fprintf(stderr, "usage: core_noverifier OBJ RUNS\n");
		return 2;
	}
	libbpf_set_print(quiet);
	printf("[");
	for (int i = 0; i < runs; i++) {
		struct bpf_object *obj;
		double t0, t1, t2;
		int err;

		struct bpf_program *prog;
		double prog_load_ms = 0;

		load_count = 0;
		t0 = now_ms();
		obj = bpf_object__open_file(argv[1], NULL);
		t1 = now_ms();
		if (!obj)
			return 1;
		err = bpf_object__load(obj);
		t2 = now_ms();
		if (err)
			return 1;
		for (int j = 0; j < load_count; j++) {
			bpf_object__for_each_program(prog, obj) {
				if (strncmp(bpf_program__name(prog), loads[j].name, BPF_OBJ_NAME_LEN - 1) == 0) {
					prog_load_ms += loads[j].ms;
					break;
				}
			}
		}
		bpf_object__close(obj);
		printf("%s{\"total\":%.4f,\"progLoad\":%.4f,\"open\":%.4f}", i ? "," : "", t2 - t0, prog_load_ms, t1 - t0);
	}
	printf("]\n");
	return 0;
}
