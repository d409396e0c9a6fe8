/* libbpf's uprobe and USDT attachment, for test/attach-uprobe.test.ts to compare ours with: loads OBJ
 * (test/fixtures/uprobe.bpf.o), attaches its programs to BINARY and LIB (test/uprobe-target.c) the way the test
 * attaches them, prints "prog NAME ID" for each program, "spec ID HEX" for every USDT spec libbpf wrote into
 * __bpf_usdt_specs, then "ready", and keeps the links until a line arrives on stdin. Errors: "error WHAT ERRNO". */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, args);
}

static struct bpf_link *links[8];
static int nlinks;

static int keep(struct bpf_link *link, const char *what)
{
	if (!link) {
		printf("error %s %d\n", what, errno);
		return -1;
	}
	links[nlinks++] = link;
	return 0;
}

static struct bpf_link *uprobe(struct bpf_object *obj, const char *prog, const char *path, const char *func,
			       int retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = func, .retprobe = retprobe);
	return bpf_program__attach_uprobe_opts(bpf_object__find_program_by_name(obj, prog), -1, path, 0, &opts);
}

static struct bpf_link *usdt(struct bpf_object *obj, const char *prog, const char *path, const char *name,
			     unsigned long long cookie)
{
	LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = cookie);
	return bpf_program__attach_usdt(bpf_object__find_program_by_name(obj, prog), -1, path, "bpfkit", name, &opts);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: uprobe-oracle OBJ BINARY LIB\n");
		return 2;
	}
	const char *binary = argv[2], *lib = argv[3];
	libbpf_set_print(print);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		printf("error load %d\n", errno);
		return 1;
	}
	if (keep(uprobe(obj, "on_work", binary, "bpfkit_work", 0), "on_work") ||
	    keep(uprobe(obj, "on_work_ret", binary, "bpfkit_work", 1), "on_work_ret") ||
	    keep(uprobe(obj, "on_lib_work", lib, "bpfkit_lib_work", 0), "on_lib_work") ||
	    keep(usdt(obj, "on_tick", binary, "tick", 99), "on_tick") ||
	    keep(usdt(obj, "on_gated", binary, "gated", 0), "on_gated") ||
	    keep(usdt(obj, "on_lib_tick", lib, "lib_tick", 7), "on_lib_tick"))
		return 1;

	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0)
			printf("prog %s %u\n", bpf_program__name(prog), info.id);
	}
	int specs = bpf_map__fd(bpf_object__find_map_by_name(obj, "__bpf_usdt_specs"));
	unsigned char value[208];
	for (int id = 0; id < 16; id++) {
		memset(value, 0, sizeof(value));
		if (bpf_map_lookup_elem(specs, &id, value))
			break;
		int used = 0;
		for (size_t i = 0; i < sizeof(value); i++)
			used |= value[i];
		if (!used)
			continue;
		printf("spec %d ", id);
		for (size_t i = 0; i < sizeof(value); i++)
			printf("%02x", value[i]);
		printf("\n");
	}
	printf("ready\n");
	fflush(stdout);

	char line[16];
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	for (int i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return 0;
}
