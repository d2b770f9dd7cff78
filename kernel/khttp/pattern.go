package khttp

import "io"

// Pattern returns the byte /bytes/N sends at offset i: i mod 251. A prime
// period never lines up with buffer or segment sizes, so a lost,
// repeated or misplaced piece shows.
func Pattern(i int64) byte { return byte(i % 251) }

// patternBuf holds the pattern from offset 0 over a whole number of
// periods, so any offset can be written from buf[off%251:].
var patternBuf = func() []byte {
	b := make([]byte, 251*256)
	for i := range b {
		b[i] = Pattern(int64(i))
	}
	return b
}()

// writePattern writes n bytes of the pattern from offset 0.
func writePattern(w io.Writer, n int64) error {
	var off int64
	for off < n {
		start := off % 251
		chunk := min(n-off, int64(len(patternBuf)-251))
		if _, err := w.Write(patternBuf[start : start+chunk]); err != nil {
			return err
		}
		off += chunk
	}
	return nil
}
