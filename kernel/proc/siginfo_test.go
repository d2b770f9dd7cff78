package proc

import (
	"syscall"
	"testing"

	"scone/kernel/file"
	"scone/kernel/mem"
)

func newTestThread(t *testing.T) *Thread {
	t.Helper()
	NewPageTable = func() (mem.PageTable, error) { return mem.NewFake(), nil }
	th, err := NewProcess(file.NewTable(), new(file.FSContext))
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// The sender's pid and uid reach the handler's siginfo, as Linux fills
// them (musl's raise() is tgkill; C programs check si_pid == getpid()).
func TestSenderSiginfo(t *testing.T) {
	target, sender := newTestThread(t), newTestThread(t)
	sender.proc.Cred.UID = 1000
	const usr1 = int(syscall.SIGUSR1)
	if _, err := target.proc.Sigaction(usr1, &SigAction{Handler: 0x1000, Flags: SaSiginfo}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		send func()
		want SigInfo
	}{
		{"tgkill", func() { target.Tkill(usr1, sender.proc) },
			SigInfo{Signo: int32(usr1), Code: siTkill, Pid: int32(sender.proc.PID), UID: 1000}},
		{"kill", func() { target.proc.Send(usr1, sender.proc.UserInfo(usr1)) },
			SigInfo{Signo: int32(usr1), Code: siUser, Pid: int32(sender.proc.PID), UID: 1000}},
		{"sigpipe", func() { target.Signal(usr1) },
			SigInfo{Signo: int32(usr1), Code: siUser, Pid: int32(target.proc.PID)}},
	}
	for _, tc := range tests {
		tc.send()
		sig, info := target.take()
		if sig != usr1 || info != tc.want {
			t.Errorf("%s: took %d %+v, want %d %+v", tc.name, sig, info, usr1, tc.want)
		}
	}
}
