package filecopy

import "testing"

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
		bad  bool
	}{
		{in: "-", want: Spec{Stdio: true}},
		{in: "./a:b", want: Spec{Path: "./a:b"}},
		{in: "/x:y", want: Spec{Path: "/x:y"}},
		{in: "file", want: Spec{Path: "file"}},
		{in: "deploy/web:/tmp/x", want: Spec{Target: "deploy/web", Path: "/tmp/x"}},
		{in: "web-0:tmp/../x", want: Spec{Target: "web-0", Path: "/x"}},
		{in: "x7k2p:/data/", want: Spec{Target: "x7k2p", Path: "/data"}},
		{in: "a/b/c:d", bad: true},
		{in: "pod/x:", bad: true},
		{in: ":x", bad: true},
		{in: "", bad: true},
	} {
		got, err := ParseSpec(tc.in)
		if tc.bad != (err != nil) || got != tc.want {
			t.Errorf("ParseSpec(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestDirection(t *testing.T) {
	local, remote, stdio := Spec{Path: "a"}, Spec{Target: "pod/x", Path: "/a"}, Spec{Stdio: true}
	if up, err := Direction(local, remote); err != nil || !up {
		t.Errorf("local->remote: %v %v", up, err)
	}
	if up, err := Direction(remote, stdio); err != nil || up {
		t.Errorf("remote->stdout: %v %v", up, err)
	}
	for _, pair := range [][2]Spec{{local, local}, {remote, remote}, {stdio, local}} {
		if _, err := Direction(pair[0], pair[1]); err == nil {
			t.Errorf("Direction(%v, %v) accepted", pair[0], pair[1])
		}
	}
}

func TestEscapes(t *testing.T) {
	for _, tc := range []struct {
		p, target string
		want      bool
	}{
		{"/tmp/l", "../etc/passwd", false},
		{"/tmp/l", "../../etc", true},
		{"/l", "..", true},
		{"/l", "/etc/passwd", false},
		{"/a/b/l", "c/../../..", false},
		{"/a/b/l", "c/../../../..", true},
		{"/a/l", "./x", false},
	} {
		if got := escapes(tc.p, tc.target); got != tc.want {
			t.Errorf("escapes(%q, %q) = %v, want %v", tc.p, tc.target, got, tc.want)
		}
	}
}
