// Type shapes for the C dumper test (test/btf-dump-c.test.ts): each global below pulls one family of BTF types
// into the object, and the test compares our C dump of it with `bpftool btf dump file F format c`.
// Compiled at test time with clang-19 -target bpf(el|eb) -g; nothing here runs.

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef long long s64;

/* ---- ordering: forward declarations and weak/strong links ---- */
struct list_node;
typedef struct list_node list_node_t;
typedef void (*visit_fn)(list_node_t *node, void *ctx);

struct list_node {
	struct list_node *next, *prev;
	list_node_t *self;
	visit_fn visit;
	struct owner *owner; /* only ever seen through a pointer before its definition */
};

struct owner {
	struct list_node head; /* embedded: must be defined first */
	struct {
		struct list_node inner; /* anonymous struct embeds a named one: a strong link through a pointer */
		int depth;
	} *anon_ptr;
	union {
		struct owner *parent;
		u64 cookie;
	};
};

struct ring_a;
struct ring_b {
	struct ring_a *a;
	struct ring_b *self;
};
struct ring_a {
	struct ring_b b;
	struct ring_a *again;
};

typedef struct {
	int x, y;
} point_t;
typedef point_t *point_ptr_t;
typedef point_ptr_t point_ptrs_t[3];

struct uses_typedefs {
	point_t origin;
	point_ptrs_t corners;
	const point_t *const cp;
	volatile point_t vp;
};

/* ---- packing and alignment ---- */
struct packed_outer {
	char c;
	struct {
		char a;
		int b;
	} __attribute__((packed)) in;
	short s;
} __attribute__((packed));

struct packed_small {
	int a;
	char b;
} __attribute__((packed));

struct holds_packed_small {
	short lead;
	struct packed_small body;
	char tail;
};

struct aligned_members {
	char a;
	int b __attribute__((aligned(16)));
	char c;
	long d __attribute__((aligned(32)));
} __attribute__((aligned(64)));

union packed_union {
	int i;
	char bytes[5];
} __attribute__((packed));

struct empty {};
struct holds_empty {
	struct empty e;
	int after;
	struct {} inline_empty;
};

/* ---- padding ---- */
struct padding_gaps {
	char a;
	long b;
	char c;
	int d __attribute__((aligned(8)));
	short e;
	char f __attribute__((aligned(4)));
	long long g __attribute__((aligned(16)));
	char tail;
} __attribute__((aligned(32)));

struct padding_before_bitfield {
	char a;
	int b: 3;
	long c: 20;
	int: 0;
	char d;
	long: 0;
	short e: 7;
};

/* ---- bitfields ---- */
struct bitfields {
	unsigned int flag: 1;
	unsigned int mode: 3;
	signed int delta: 5;
	unsigned long long wide: 40;
	unsigned char tiny: 2;
	unsigned char: 3;
	u8 named_small: 3;
	u64 after;
	int z: 1;
	enum { BF_A, BF_B, BF_C } state: 2;
};

struct bitfield_straddle {
	u8 a: 7;
	u16 b: 10;
	u32 c: 31;
	u64 d: 63;
	u8 e;
} __attribute__((packed));

/* ---- arrays, pointers, qualifiers, functions ---- */
typedef int (*binop_t)(int, int);
typedef binop_t (*binop_factory_t)(const char *name, ...);
typedef void (*noargs_t)(void);

struct declarators {
	int matrix[2][3][4];
	const char *const names[5];
	int (*ptr_to_array)[8];
	int *(*ptr_to_array_of_ptrs)[8];
	binop_t ops[4];
	int (*fn_array[2])(void *, u64);
	binop_factory_t factory;
	void (*(*returns_fn_ptr)(int))(long);
	char *restrict rp;
	const volatile u32 cv;
	volatile u32 *const volatile vpc;
	noargs_t noargs;
	int (*variadic)(const char *fmt, ...);
	void *opaque;
	void **opaque2;
	char flex[];
};

/* ---- enums ---- */
enum small_enum {
	SMALL_A = 1,
	SMALL_B = 200,
} __attribute__((packed));

enum signed_enum {
	NEG_BIG = -2147483647 - 1,
	NEG_ONE = -1,
	ZERO = 0,
	POS = 0x7fffffff,
};

enum unsigned_enum {
	UNS_HIGH = 0xffffffffu,
	UNS_LOW = 1,
};

enum wide_enum {
	WIDE_SMALL = 1,
	WIDE_BIG = 0x100000000ULL,
	WIDE_TOP = 0xffffffffffffffffULL,
};

enum wide_signed_enum {
	WS_MIN = -9223372036854775807LL - 1,
	WS_NEG = -5,
	WS_BIG = 0x7000000000000000LL,
};

enum fits_in_int64 {
	F64_A = 1,
	F64_B = 0x80000000,
};

struct enum_users {
	enum small_enum s;
	enum signed_enum n;
	enum unsigned_enum u;
	enum wide_enum w;
	enum wide_signed_enum ws;
	enum fits_in_int64 f;
	enum { INLINE_X, INLINE_Y = 7 } inline_anon;
	enum forward_only *fwd_enum;
};

/* ---- other base types ---- */
struct base_types {
	_Bool b;
	char c;
	signed char sc;
	unsigned char uc;
	short s;
	long l;
	unsigned long ul;
	long long ll;
	__int128 i128;
	unsigned __int128 u128;
	float f;
	double d;
	long double ld;
};

/* ---- type tags ---- */
#define __tagged(x) __attribute__((btf_type_tag(x)))
struct tagged {
	int __tagged("user") *up;
	char __tagged("percpu") __tagged("rcu") *multi;
	struct tagged __tagged("rcu") *next;
};

/* ---- forward-only and incomplete types ---- */
struct never_defined;
union never_defined_union;
struct incomplete_users {
	struct never_defined *a;
	union never_defined_union *b;
	struct never_defined **c;
};

/* ---- deep nesting of anonymous types ---- */
struct nesting {
	union {
		struct {
			union {
				struct {
					int deep;
					struct {
						char deeper[2];
						union {
							int deepest;
							float alt;
						};
					};
				} l4;
				long l4b;
			};
		} l2;
		u64 raw;
	};
	struct nesting *(*callback)(struct { int anon_param; } *arg);
};

typedef __builtin_va_list my_va_list;
struct va_holder {
	my_va_list ap;
};

struct list_node g_list_node;
struct owner g_owner;
struct ring_a g_ring_a;
struct uses_typedefs g_uses_typedefs;
struct packed_outer g_packed_outer;
struct holds_packed_small g_holds_packed_small;
struct aligned_members g_aligned_members;
union packed_union g_packed_union;
struct holds_empty g_holds_empty;
struct padding_gaps g_padding_gaps;
struct padding_before_bitfield g_padding_before_bitfield;
struct bitfields g_bitfields;
struct bitfield_straddle g_bitfield_straddle;
struct declarators g_declarators;
struct enum_users g_enum_users;
struct base_types g_base_types;
struct tagged g_tagged;
struct incomplete_users g_incomplete_users;
struct nesting g_nesting;
struct va_holder g_va_holder;
enum { TOP_ANON_A = 3, TOP_ANON_B } g_anon_enum_var;
s8 g_s8;
s64 g_s64;

int global_func(struct owner *o, point_t p, enum wide_enum w)
{
	return o != 0 && p.x == (int)w;
}

char _license[] __attribute__((section("license"))) = "GPL";
