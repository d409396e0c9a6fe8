// Compiled at test time with -mcpu=v4 (the committed fixtures use clang's default v1), so that bpftool 7.1's
// output for the v4 instructions (sign extension, signed division, bswap, 32-bit jumps, all atomics) can be
// compared with ours.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __s64[8]);
} vals SEC(".maps");

SEC("socket")
int v4_ops(struct __sk_buff *skb)
{
  __u32 key = 0;
  __s64 *v = bpf_map_lookup_elem(&vals, &key);
  if (!v)
    return 0;
  __s64 a = v[0];
  __s64 b = *(volatile signed char *)&v[1];  /* ldsx s8 */
  __s64 c = *(volatile short *)&v[2];        /* ldsx s16 */
  __s64 d = *(volatile int *)&v[3];          /* ldsx s32 */
  v[4] = a / (b | 1) + a % (c | 1);          /* sdiv / smod */
  v[5] = (__s64)(signed char)d + (__s64)(short)a + (__s64)(int)b; /* movsx */
  v[6] = __builtin_bswap64(a) ^ __builtin_bswap32((__u32)b) ^ __builtin_bswap16((__u16)c);
  if ((__u32)a > (__u32)skb->len)            /* jmp32 */
    v[7] = 1;
  __sync_fetch_and_add(&v[0], 1);
  v[1] = __sync_fetch_and_add(&v[1], 2);
  v[2] = __sync_fetch_and_or(&v[2], 4);
  v[3] = __sync_fetch_and_and(&v[3], 8);
  v[4] = __sync_fetch_and_xor(&v[4], 16);
  __sync_fetch_and_or(&v[5], 1);
  __sync_fetch_and_and(&v[5], 3);
  __sync_fetch_and_xor(&v[5], 2);
  v[6] = __sync_lock_test_and_set(&v[6], 5);
  v[7] = __sync_val_compare_and_swap(&v[7], 1, 2);
  int *w = (int *)&v[0];
  __sync_fetch_and_add(w, 1);
  w[1] = __sync_fetch_and_add(&w[1], 3);
  return (int)skb->len;
}

char LICENSE[] SEC("license") = "GPL";
