/* The user-space side of the uprobe and USDT tests, built by the tests with clang-19 (as a PIE, a non-PIE and a
 * PIE linked at another base) next to a shared library built from this file with -DBPFKIT_TARGET_LIB.
 *
 * The program prints "ready", waits for a line on stdin (so that a test can attach with its pid), then runs N
 * rounds (argv[1]): bpfkit_work(i) and the library's bpfkit_lib_work(i) once each, and one USDT probe
 * bpfkit:tick per round, from one of two call sites (even rounds here, odd rounds in tick_odd), with the
 * arguments (i, -3, i * 1000 + 7, -i) in a 32-bit register, a constant, memory and a 16-bit register. The probe
 * bpfkit:gated has a semaphore: it fires only while something is attached (the kernel counts attachments in the
 * semaphore). The last line says what the program saw: "sum S lib L gated G".
 *
 * <sys/sdt.h> (systemtap-sdt-dev) is not needed: the probe notes are written below in the layout SystemTap
 * defines for them (https://sourceware.org/systemtap/wiki/UserSpaceProbeImplementation). */
#include <stdio.h>
#include <stdlib.h>

/* One probe site: a nop the uprobe replaces, and an ELF note (type 3, owner "stapsdt") in .note.stapsdt with
 * the nop's address, the address of .stapsdt.base (prelink moves it; tools adjust the site by the difference),
 * the semaphore's address or 0, then provider, name and the argument string, NUL-terminated. The operands are
 * printed by the compiler into the argument string as it places them: %eax, $-3, -16(%rbp) ... */
#define NOTE_HEAD(sema)                                                                                            \
	"990:	nop\n"                                                                                               \
	"	.pushsection .note.stapsdt,\"\",\"note\"\n"                                                          \
	"	.balign 4\n"                                                                                         \
	"	.4byte 992f-991f, 994f-993f, 3\n"                                                                   \
	"991:	.asciz \"stapsdt\"\n"                                                                                \
	"992:	.balign 4\n"                                                                                         \
	"993:	.8byte 990b, _.stapsdt.base, " sema "\n"
#define NOTE_TAIL                                                                                                  \
	"994:	.balign 4\n"                                                                                         \
	"	.popsection\n"                                                                                       \
	"	.ifndef _.stapsdt.base\n"                                                                            \
	"	.pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n"                               \
	"	.weak _.stapsdt.base\n"                                                                              \
	"	.hidden _.stapsdt.base\n"                                                                            \
	"_.stapsdt.base:	.space 1\n"                                                                                \
	"	.size _.stapsdt.base, 1\n"                                                                           \
	"	.popsection\n"                                                                                       \
	"	.endif\n"

/* tick(i: int in a register, -3: constant, i * 1000 + 7: unsigned long in memory, -i: short in a register) */
#define PROBE_TICK(i, big, neg)                                                                                    \
	__asm__ __volatile__(NOTE_HEAD("0") "	.asciz \"bpfkit\"\n	.asciz \"tick\"\n"                               \
					    "	.asciz \"-4@%[a] -4@%[b] 8@%[c] -2@%[d]\"\n" NOTE_TAIL               \
			     :                                                                                     \
			     : [a] "r"(i), [b] "n"(-3), [c] "m"(big), [d] "r"(neg))

#ifdef BPFKIT_TARGET_LIB

/* A probe in a shared object: lib_tick(i) */
__attribute__((noinline)) int bpfkit_lib_work(int i)
{
	__asm__ __volatile__(NOTE_HEAD("0") "	.asciz \"bpfkit\"\n	.asciz \"lib_tick\"\n	.asciz \"-4@%[a]\"\n" NOTE_TAIL
			     :
			     : [a] "r"(i));
	return i + 100;
}

#else

int bpfkit_lib_work(int i);

/* The semaphore of bpfkit:gated: a 16-bit counter in .probes, raised by the kernel while a uprobe with its
 * offset as ref_ctr_offset is attached. */
volatile unsigned short bpfkit_gated_semaphore __attribute__((section(".probes"))) = 0;

__attribute__((noinline)) int bpfkit_work(int i)
{
	__asm__ __volatile__("" : "+r"(i));
	return i * 2 + 1;
}

__attribute__((noinline)) static void tick_odd(int i)
{
	volatile unsigned long big = (unsigned long)i * 1000 + 7;
	short neg = (short)-i;
	PROBE_TICK(i, big, neg);
}

/* An IFUNC symbol (STT_GNU_IFUNC), resolved to bpfkit_work. */
static int (*resolve_work(void))(int) { return bpfkit_work; }
int bpfkit_ifunc(int) __attribute__((ifunc("resolve_work")));

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 0;
	char line[16];
	long sum = 0, lib = 0, gated = 0;

	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (int i = 0; i < rounds; i++) {
		sum += bpfkit_work(i);
		lib += bpfkit_lib_work(i);
		if (i & 1) {
			tick_odd(i);
		} else {
			volatile unsigned long big = (unsigned long)i * 1000 + 7;
			short neg = (short)-i;
			PROBE_TICK(i, big, neg);
		}
		if (bpfkit_gated_semaphore) {
			gated++;
			__asm__ __volatile__(NOTE_HEAD("bpfkit_gated_semaphore") "	.asciz \"bpfkit\"\n	.asciz \"gated\"\n"
									      "	.asciz \"8@%[a]\"\n" NOTE_TAIL
					     :
					     : [a] "r"(gated));
		}
	}
	printf("sum %ld lib %ld gated %ld\n", sum, lib, gated);
	return 0;
}

#endif
