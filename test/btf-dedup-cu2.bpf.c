// Dedup test input, compilation unit 2 of 3: completes union U, enum E and struct B; struct A is only
// forward-declared here; one of two different 'struct dup' definitions.
struct S;
struct A;

union U {
	int x;
	long y;
};

enum E { E_ONE = 1, E_TWO = 2 };

struct B {
	int b;
	struct B *self;
	struct S *parent;
};

struct S {
	struct A *a_ptr;
	struct B *b_ptr;
};

struct bits {
	unsigned int x : 3, y : 5;
	long z;
	char name[16];
};

struct dup {
	int x;
};

struct S s2;
union U u_global;
enum E e_global;
struct bits bits2;
struct dup dup_int;
struct A *a_fwd_ptr;

long fn_cu2(struct B *b, union U *u)
{
	return b->b + u->y;
}
