// Dedup test input, compilation unit 1 of 3: a partial view of a shared type graph (struct B, union U and
// enum E only forward-declared), plus types the other units repeat exactly. Built by test/btf-dedup-cu.test.ts.
struct S;
struct B;
union U;
enum E;
struct dup;

struct A {
	int a;
	struct A *self;
	struct S *parent;
	union U *u;
	enum E *e;
};

struct S {
	struct A *a_ptr;
	struct B *b_ptr;
};

typedef struct S S_t;
typedef const volatile S_t *S_cptr;

struct bits {
	unsigned int x : 3, y : 5;
	long z;
	char name[16];
};

struct anon_holder {
	union {
		int i;
		float f;
	};
	struct {
		short lo, hi;
	} pair;
};

S_t s_global;
S_cptr s_cptr;
struct bits bits_arr[4];
struct anon_holder anon;
struct dup *dup_ptr;

int fn_cu1(struct A *a, struct bits *b)
{
	return a->a + b->y;
}
