// First of two compilation units with clashing type names, linked with `bpftool gen object` by
// test/btf-dump-c.test.ts: the linked BTF keeps both versions, so the C dump must rename the second (`___2`).

struct clash {
	int a;
	struct clash *next;
};

typedef int handle_t;

enum colour {
	RED,
	GREEN,
	BLUE,
};

union shape {
	int square;
	long circle;
};

struct clash clash_one;
handle_t handle_one;
enum colour colour_one;
union shape shape_one;

char _license[] __attribute__((section("license"))) = "GPL";
