package filecopy

import (
	"io/fs"
	"testing"
)

func TestParseEntry(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Entry
		bad  bool
	}{
		{line: "81a4 1600000000 3 ./a", want: Entry{Mode: 0o644, MTime: 1600000000, Size: 3, Path: "./a"}},
		{line: "41ed 1 4096 ./d/with space", want: Entry{Mode: fs.ModeDir | 0o755, MTime: 1, Size: 4096, Path: "./d/with space"}},
		{line: "a1ff 7 1 ./l", want: Entry{Mode: fs.ModeSymlink | 0o777, MTime: 7, Size: 1, Path: "./l"}},
		{line: "89ed 7 1 ./s", want: Entry{Mode: fs.ModeSetuid | 0o755, MTime: 7, Size: 1, Path: "./s"}},
		{line: "43ff 7 1 ./tmp", want: Entry{Mode: fs.ModeDir | fs.ModeSticky | 0o777, MTime: 7, Size: 1, Path: "./tmp"}},
		{line: "21b6 7 0 ./dev/null", want: Entry{Mode: fs.ModeIrregular | 0o666, MTime: 7, Path: "./dev/null"}},
		{line: "second half of a name", bad: true},
		{line: "zz 1 1 ./a", bad: true},
		{line: "81a4 x 1 ./a", bad: true},
		{line: "81a4 1 -1 ./a", bad: true},
		{line: "81a4 1 1 /abs", bad: true},
	} {
		got, err := ParseEntry(tc.line)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseEntry(%q) = %+v, want an error", tc.line, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseEntry(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
}

func TestParseListingNewlineNameRefused(t *testing.T) {
	if _, err := ParseListing("41ed 1 1 ./d\n81a4 1 1 ./d/a\nb\n"); err == nil {
		t.Fatal("a name split by a newline was accepted")
	}
	list, err := ParseListing("41ed 1 1 ./d\n81a4 1 1 ./d/a\n")
	if err != nil || len(list) != 2 {
		t.Fatalf("ParseListing = %v, %v", list, err)
	}
}

func TestUnixMode(t *testing.T) {
	if got := unixMode(fs.ModeDir | fs.ModeSticky | 0o777); got != "1777" {
		t.Errorf("unixMode = %s, want 1777", got)
	}
	if got := unixMode(fs.ModeSetuid | 0o750); got != "4750" {
		t.Errorf("unixMode = %s, want 4750", got)
	}
}

// FuzzParseEntry: no input makes the parser panic, and what it accepts
// prints back as a line that parses to the same entry.
func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{"81a4 1600000000 3 ./a", "a1ff 7 1 ./l", "43ff 7 1 ./t m p", "x", "41ed 1 1 ./"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, err := ParseEntry(line)
		if err != nil {
			return
		}
		again, err := ParseEntry(e.Line())
		if err != nil || again != e {
			t.Fatalf("%q parsed to %+v, printed as %q, parsed again to %+v, %v", line, e, e.Line(), again, err)
		}
	})
}
