package testnet_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"scone/user/internal/testnet"
)

var programs = []string{"httpd", "daytime", "wttr", "ping", "host", "wget", "nc", "netstat", "ifconfig", "route", "nettest"}

// TestPrograms builds every network program and checks that each answers
// -h with its usage and status 0; then runs the clients where there is no
// network but loopback (a fresh namespace): each fails with status 1 or 2
// and says in a line what is missing, the name or the route.
func TestPrograms(t *testing.T) {
	bins := map[string]string{}
	for _, p := range programs {
		bins[p] = testnet.Build(t, "scone/user/"+p)
		out, err := exec.Command(bins[p], "-h").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "usage: "+p) {
			t.Errorf("%s -h: %v\n%s", p, err, out)
		}
	}
	for _, tc := range []struct {
		cmd  string
		want []string // any one of these
	}{
		{"daytime 10.9.9.9", []string{"network is unreachable"}},
		{"daytime nowhere.scone.test", []string{"cannot resolve nowhere.scone.test", "nowhere.scone.test: no such host"}},
		{"wttr", []string{"cannot resolve wttr.in", "wttr.in: no such host"}},
		{"wttr -server 10.9.9.9:80", []string{"network is unreachable"}},
		{"ping -c 1 nowhere.scone.test", []string{"cannot resolve nowhere.scone.test", "nowhere.scone.test: no such host"}},
		{"host pdos.csail.mit.edu", []string{"cannot resolve pdos.csail.mit.edu", "not found"}},
		{"wget http://nowhere.scone.test/x", []string{"cannot resolve nowhere.scone.test", "nowhere.scone.test: no such host"}},
		{"nc 10.9.9.9 80", []string{"network is unreachable"}},
		{"httpd -root / -addr 10.9.9.9:80", []string{"no interface has the address"}},
	} {
		f := strings.Fields(tc.cmd)
		line := "set +e\n" + bins[f[0]] + " " + strings.Join(f[1:], " ") + " </dev/null 2>&1\necho status $?"
		out, err := testnet.Netns(t, 60*time.Second, line)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.cmd, err, out)
		}
		ok := false
		for _, w := range tc.want {
			ok = ok || strings.Contains(out, w)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		status := lines[len(lines)-1]
		if !ok || (status != "status 1" && status != "status 2") || len(lines) > 3 {
			t.Errorf("%s:\n%s\nwant one of %q and status 1 or 2", tc.cmd, out, tc.want)
		}
	}
}
