package session

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/remotecommand"
)

// The Tee sees what the session shows (stderr too without a terminal)
// and what the user typed, never the preamble; the session's own
// streams get everything as before.
func TestRunTee(t *testing.T) {
	start := func(_ context.Context, o remotecommand.StreamOptions) error {
		_, _ = io.ReadAll(o.Stdin)
		_, _ = io.WriteString(o.Stdout, "out;")
		_, _ = io.WriteString(o.Stderr, "err;")
		return nil
	}
	var out, errOut, teeOut, teeIn bytes.Buffer
	s := Streams{IOStreams: genericiooptions.IOStreams{In: strings.NewReader("typed"), Out: &out, ErrOut: &errOut}, Stdin: true, Preamble: "\n",
		Tee: Tee{Out: &teeOut, In: &teeIn}}
	if err := Run(context.Background(), s, start); err != nil {
		t.Fatal(err)
	}
	if out.String() != "out;" || errOut.String() != "err;" || teeOut.String() != "out;err;" || teeIn.String() != "typed" {
		t.Errorf("out %q, err %q, tee out %q, tee in %q", out.String(), errOut.String(), teeOut.String(), teeIn.String())
	}
	// Without Tee.In the input is not copied.
	teeIn.Reset()
	s.In, s.Tee.In = strings.NewReader("secret"), nil
	if err := Run(context.Background(), s, start); err != nil {
		t.Fatal(err)
	}
	if teeIn.Len() != 0 {
		t.Errorf("input copied without Tee.In: %q", teeIn.String())
	}
}
