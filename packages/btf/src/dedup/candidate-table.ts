// The canonical-candidate index: type signature hash -> canonical type ids with that hash.
//
// When several canonical types share a hash and more than one would match, libbpf takes the first one its
// hashmap yields, so the winner depends on that hashmap's chain order: new entries go to the head of their
// bucket, and every time the table grows (when (size + 1) * 4 / 3 > capacity, doubling from 4) each chain is
// rebuilt by re-inserting at the head, which reverses the order of entries with equal keys. We reproduce that
// order exactly (and nothing else about the hashmap) so that dedup picks the same canonical types as libbpf.

interface CandidateList {
  ids: number[];
  /** Number of table growths already applied to `ids`' order. */
  growths: number;
}

export class CandidateTable {
  private readonly lists = new Map<number, CandidateList>();
  private size = 0;
  private capacity = 0;
  private growths = 0;

  add(hash: number, typeId: number): void {
    if (this.capacity === 0 || Math.floor(((this.size + 1) * 4) / 3) > this.capacity) {
      this.capacity = this.capacity === 0 ? 4 : this.capacity * 2;
      this.growths++;
    }
    const list = this.lists.get(hash);
    if (list === undefined) {
      this.lists.set(hash, { ids: [typeId], growths: this.growths });
    } else {
      this.normalize(list);
      list.ids.unshift(typeId);
    }
    this.size++;
  }

  /** Candidates with this hash, in the order libbpf would try them. Do not keep the array across add(). */
  candidates(hash: number): readonly number[] | undefined {
    const list = this.lists.get(hash);
    if (list === undefined) return undefined;
    this.normalize(list);
    return list.ids;
  }

  private normalize(list: CandidateList): void {
    if ((this.growths - list.growths) % 2 === 1) list.ids.reverse();
    list.growths = this.growths;
  }
}
