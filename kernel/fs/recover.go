package fs

import (
	"sort"

	"scone/kernel/fs/layout"
)

// recoverLog replays the committed transactions a crash left in the
// journal. It runs at mount, before the cache holds anything, and returns
// the blocks replayed, the sequence number to continue from, and the half
// the next commit must use: the one with the older header, so that a crash
// while that commit overwrites it leaves the newer transaction to replay.
//
// Each half holds at most one transaction. A half is replayed only if its
// header's CRC matches its blocks; a mismatch means the crash came before
// that transaction's commit point (it never happened), or that a later
// transaction had begun to overwrite the half, which it does only after
// the barrier that made this one's home writes durable (nothing to do).
// When both halves are valid they hold two consecutive transactions, and
// the older is replayed first: it may be the one whose home writes the
// crash interrupted, and the newer one's writes then win. A transaction
// older than a clean-unmount marker (an empty header) is never replayed:
// unmount may have emptied the newer half first, and replaying the older
// transaction alone would undo the newer one.
func recoverLog(dev BlockDevice, sb *layout.Superblock) (replayed int, next uint64, half int, err error) {
	type txn struct {
		seq    uint64
		blocks []uint32
		data   [][]byte
	}
	var valid []txn
	var clean uint64
	var seqs [2]uint64
	for h := range 2 {
		n := sb.LogHeader(h)
		b := make([]byte, BlockSize)
		if err := dev.ReadBlock(n, b); err != nil {
			return 0, 0, 0, ioError("journal header read", n, err)
		}
		hd, err := layout.DecodeLogHeader(b, sb)
		if err != nil {
			return 0, 0, 0, err
		}
		next = max(next, hd.Seq+1)
		seqs[h] = hd.Seq
		if hd.Torn {
			continue // never committed: its Flush had not returned
		}
		if len(hd.Blocks) == 0 {
			// An empty header, written by a clean unmount once every home
			// write was durable: nothing before its Seq needs replaying.
			clean = max(clean, hd.Seq)
			continue
		}
		t := txn{seq: hd.Seq, blocks: hd.Blocks, data: make([][]byte, len(hd.Blocks))}
		var crc uint32
		for i := range hd.Blocks {
			t.data[i] = make([]byte, BlockSize)
			if err := dev.ReadBlock(n+1+uint64(i), t.data[i]); err != nil {
				return 0, 0, 0, ioError("journal read", n+1+uint64(i), err)
			}
			crc = layout.Checksum(crc, t.data[i])
		}
		if crc == hd.CRC {
			valid = append(valid, t)
		}
	}
	sort.Slice(valid, func(a, b int) bool { return valid[a].seq < valid[b].seq })
	for _, t := range valid {
		if t.seq < clean {
			continue
		}
		for i, home := range t.blocks {
			if err := dev.WriteBlock(uint64(home), t.data[i]); err != nil {
				return 0, 0, 0, ioError("journal replay", uint64(home), err)
			}
		}
		replayed += len(t.blocks)
	}
	if replayed > 0 {
		if err := dev.Flush(); err != nil {
			return 0, 0, 0, ioError("flush", 0, err)
		}
	}
	if seqs[1] < seqs[0] {
		half = 1
	}
	return replayed, next, half, nil
}
