// Second compilation unit for the name-clash case (see btf-dump-c-dup1.bpf.c): same names, other layouts, and
// enumerators that repeat the first unit's.

struct clash {
	long b;
	char c[3];
};

typedef long handle_t;

enum colour {
	RED = 10,
	BLUE,
	GREEN,
	PURPLE,
};

enum palette {
	PURPLE_DARK,
	RED_DARK,
};

union shape {
	char triangle[3];
};

struct uses_both {
	struct clash local;
	handle_t h;
	enum colour c;
	enum palette p;
	union shape s;
};

struct uses_both uses_both_two;
