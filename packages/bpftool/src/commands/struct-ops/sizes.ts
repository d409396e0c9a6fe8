// sizeof(struct bpf_map_info) in the UAPI header bpftool 7.1 was built with (kernel 6.1).
export const MapInfoSize = 88;
