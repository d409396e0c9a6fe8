/* libbpf's auto-attach of one program, for the attach tests to compare with: opens and loads OBJ (only PROG
 * autoloaded), calls bpf_program__attach and prints "ok" or "error ERRNO" and libbpf's own log lines on stderr. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, args);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: attach-oracle OBJ PROG\n");
		return 2;
	}
	libbpf_set_print(print);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return 3;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, strcmp(bpf_program__name(prog), argv[2]) == 0);
	if (bpf_object__load(obj))
		return 4;
	struct bpf_link *link = bpf_program__attach(bpf_object__find_program_by_name(obj, argv[2]));
	if (!link) {
		printf("error %d\n", errno);
		return 1;
	}
	printf("ok\n");
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
