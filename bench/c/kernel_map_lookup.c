// Reference timer for bpfkit's map lookups: bpf_map_lookup_elem() (libbpf 1.1) in a tight C loop on a pinned
// map, with the same key sequence the JS side uses.
//
//   kernel_map_lookup PIN ENTRIES LOOKUPS ROUNDS
//       opens the pinned hash map (u32 key, u64 value), runs ROUNDS samples of LOOKUPS lookups of keys
//       (i * 2654435761) % ENTRIES, prints {"ns_per_op":[...],"hits":H} (H = successful lookups, all rounds).
//
// Build: cc -O2 -o kernel_map_lookup kernel_map_lookup.c -lbpf
#include <bpf/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s PIN ENTRIES LOOKUPS ROUNDS\n", argv[0]);
		return 2;
	}
	int fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		perror("bpf_obj_get");
		return 1;
	}
	uint32_t entries = (uint32_t)strtoul(argv[2], NULL, 10);
	uint32_t lookups = (uint32_t)strtoul(argv[3], NULL, 10);
	int rounds = atoi(argv[4]);
	uint64_t hits = 0;

	printf("{\"ns_per_op\":[");
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		for (uint32_t i = 0; i < lookups; i++) {
			uint32_t key = (uint32_t)(((uint64_t)i * 2654435761u) % entries);
			uint64_t value;

			if (bpf_map_lookup_elem(fd, &key, &value) == 0)
				hits++;
		}
		double per_op = (now_ns() - t0) / lookups;
		printf("%s%.2f", r ? "," : "", per_op);
	}
	printf("],\"hits\":%llu}\n", (unsigned long long)hits);
	return 0;
}
