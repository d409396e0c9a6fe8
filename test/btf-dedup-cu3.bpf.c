// Dedup test input, compilation unit 3 of 3: the whole graph of unit 1 with every type complete, and a second,
// different 'struct dup' (so a lone 'struct dup' forward declaration stays ambiguous).
union U {
	int x;
	long y;
};

enum E { E_ONE = 1, E_TWO = 2 };

struct S;

struct A {
	int a;
	struct A *self;
	struct S *parent;
	union U *u;
	enum E *e;
};

struct B {
	int b;
	struct B *self;
	struct S *parent;
};

struct S {
	struct A *a_ptr;
	struct B *b_ptr;
};

typedef struct S S_t;

struct anon_holder {
	union {
		int i;
		float f;
	};
	struct {
		short lo, hi;
	} pair;
};

struct dup {
	long x;
};

S_t s3;
struct anon_holder anon3[2];
struct dup dup_long;

int fn_cu3(struct S *s, const struct anon_holder *h)
{
	return s->a_ptr->a + s->b_ptr->b + h->pair.hi;
}
