package shell

import (
	"fmt"
	"time"
)

// LifelineReady is the line a lifeline prints once its client's gate
// arrived: from then on the container lives exactly as long as that
// client's stdin stream.
const LifelineReady = "eshell-lifeline-ready"

// Exit codes of a lifeline, so a finished session's container says why it
// ended.
const (
	LifelineClientGone = 0 // stdin reached EOF: the client ended or died
	LifelineNoClient   = 2 // no client sent the gate within the start timeout
	LifelineMaxLife    = 3 // the session's maximum life was reached
)

// Lifeline is the main process of a container whose life follows one
// client: it waits up to gate for the client's Gate line on stdin (a
// client that never connects is bounded by it), prints LifelineReady, and
// then exits when stdin reaches EOF (the client ended, or died and the
// kubelet closed its stdinOnce stream) or after maxLife (0: no bound).
// With keep it ignores EOF and lives until maxLife. The user's shell runs
// beside it through exec; when it exits the container ends and takes every
// exec'd process with it.
//
// It is plain POSIX sh (busybox ash, dash, bash). It never relies on a
// signal reaching itself: as PID 1 of its container the shell would ignore
// SIGTERM and cannot be killed from inside. Waits are background sleeps it
// waits for, ended by a reader that kills them; and stdin is read from a
// duplicate because a background job's own stdin is /dev/null.
func Lifeline(gate, maxLife time.Duration, keep bool) []string {
	seconds := func(d time.Duration) int64 {
		s := int64(d / time.Second)
		if d%time.Second != 0 || s == 0 {
			s++
		}
		return s
	}
	life := "2147483647"
	if maxLife > 0 {
		life = fmt.Sprint(seconds(maxLife))
	}
	watch := "{ while read -r _ <&3; do :; done; kill $m; } 2>/dev/null & "
	if keep {
		watch = ""
	}
	script := fmt.Sprintf("exec 3<&0 </dev/null; "+
		"sleep %d & w=$!; { read -r _ <&3; kill $w; } 2>/dev/null & "+
		"wait $w 2>/dev/null && exit %d; "+
		"echo %s; "+
		"sleep %s & m=$!; %s"+
		"wait $m 2>/dev/null && exit %d; exit %d",
		seconds(gate), LifelineNoClient, LifelineReady, life, watch, LifelineMaxLife, LifelineClientGone)
	return ContainerArgv([]string{"sh", "-c", script, "eshell-lifeline"})
}
