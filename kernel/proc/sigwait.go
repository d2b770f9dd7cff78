package proc

// SigmaskForWait sets the thread's signal mask for the length of a wait
// (ppoll, pselect6, epoll_pwait) and returns what to call after it. If a
// signal the wait's mask let in is then deliverable, the old mask comes
// back only after its handler has run, as with rt_sigsuspend, so the
// handler runs even when the old mask blocks the signal; otherwise it
// comes back at once.
func (t *Thread) SigmaskForWait(mask uint64) (restore func()) {
	t.mu.Lock()
	old := t.mask
	t.mask = sigSet(mask) &^ unblockable
	if t.deliverableLocked() != 0 {
		t.cancel()
	}
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.deliverableLocked() != 0 {
			t.savedMask = &old
		} else {
			t.mask = old
		}
	}
}
