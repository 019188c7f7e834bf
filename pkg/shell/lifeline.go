package shell

import (
	"fmt"
	"time"
)

// LifelineReady is the line a lifeline prints once its client's gate
// arrived: from then on the container lives as long as that client keeps
// sending heartbeats.
const LifelineReady = "eshell-lifeline-ready"

// LifelineKeep is the line a client of a --keep clone sends once the clone
// reached its shell: from then on the lifeline no longer watches its
// client and lives until its maximum life. Before it, a kept clone ends
// with its client like any other, so a failed start keeps nothing.
const LifelineKeep = "keep"

// LifelinePing is a line a client sends to learn that its lifeline's
// stream still works both ways: the lifeline answers LifelinePong. A
// command's exec stream that ended without an error is taken for the
// command's end only once the lifeline beside it answers: a restarted
// container runtime ends every stream it serves, and on the way through
// the API server an exec stream cut that way reads as a clean exit 0.
const (
	LifelinePing = "ping"
	LifelinePong = "eshell-lifeline-pong"
)

// Exit codes of a lifeline, so a finished session's container says why it
// ended.
const (
	LifelineClientGone = 0 // stdin reached EOF: the client ended, or died and its stream was closed
	LifelineNoClient   = 2 // no client sent the gate within the silence bound of the container's start
	LifelineMaxLife    = 3 // the session's maximum life was reached
	LifelineSilent     = 4 // the client sent nothing for the silence bound: frozen, or its network gone
)

// Heartbeat bounds: a silence bound below the minimum would end sessions of
// clients on a slow link (and gives a starting client too little time to
// attach); one above the maximum would keep a frozen client's clone longer
// than a user waits for it to come back.
const (
	MinHeartbeatTimeout     = 10 * time.Second
	MaxHeartbeatTimeout     = 10 * time.Minute
	DefaultHeartbeatTimeout = 20 * time.Second
)

// HeartbeatEvery is how often a client writes to its lifeline for the
// lifeline's silence bound timeout: four beats per bound, so one late or
// lost write never ends a session.
func HeartbeatEvery(timeout time.Duration) time.Duration {
	return max(timeout/4, time.Second)
}

// LifelineScript is the main process of a container whose life follows one
// client. Every line the client sends is a heartbeat; the first one, the
// gate, must come within silence of the container's start (a client that
// never attaches, or was killed before it did, is bounded by it), and the
// lifeline then prints LifelineReady. It exits when stdin reaches EOF (the
// client ended, or the kubelet closed its stdinOnce stream), when nothing
// arrived for silence (a client that froze, slept, or lost its network
// without closing its connections: TCP alone would take minutes), or after
// maxLife (0: no bound). It answers LifelinePing with LifelinePong. With
// keep, the line LifelineKeep stops the watching: the container then lives
// until maxLife, still answering pings. The user's shell runs
// beside it through exec; when it exits the container ends and takes every
// exec'd process with it.
//
// It is plain POSIX sh (busybox ash, dash, bash) and needs only sleep. It
// never relies on a signal reaching itself: as PID 1 of its container the
// shell would ignore SIGTERM and cannot be killed from inside. Each wait
// is a background sleep that a one-line reader kills when a line arrives;
// a sleep that runs out is the silence. The reader's exit status says
// what it read. Stdin is read from a duplicate because a background job's
// own stdin is /dev/null.
func LifelineScript(silence, maxLife time.Duration, keep bool) []string {
	return ContainerArgv(lifeline(silence, maxLife, keep))
}

// StaticLifelineScript is LifelineScript run by the static shell of ToolsDir, for an
// image without sh (see Tools).
func StaticLifelineScript(silence, maxLife time.Duration, keep bool) []string {
	return ContainerArgv(Tools(lifeline(silence, maxLife, keep), true))
}

func lifeline(silence, maxLife time.Duration, keep bool) []string {
	life := "2147483647"
	if maxLife > 0 {
		life = fmt.Sprint(ceilSeconds(maxLife))
	}
	bound := ceilSeconds(silence)
	// The reader: 10 a heartbeat, 11 the keep line (with keep), 12 EOF,
	// 13 a ping.
	isKeep, onKeep := "", ""
	if keep {
		isKeep = fmt.Sprintf(`[ "$l" = %s ] && exit 11; `, LifelineKeep)
		// A kept clone no longer watches its client, but its client
		// still pings it when its command ends.
		onKeep = fmt.Sprintf(`11) while read -r l <&3; do [ "$l" = %s ] && echo %s; done; exit 0;; `, LifelinePing, LifelinePong)
	}
	script := fmt.Sprintf("exec 3<&0 </dev/null; "+
		"sleep %s & m=$!; "+
		"{ n=0; while :; do "+
		"sleep %d & s=$!; "+
		"( if read -r l <&3; then kill $s; %s[ \"$l\" = %s ] && exit 13; exit 10; fi; kill $s; exit 12 ) & r=$!; "+
		"if wait $s; then kill $m; [ $n = 0 ] && exit %d; exit %d; fi; "+
		"wait $r; c=$?; "+
		"[ $n = 0 ] && echo %s; n=1; "+
		"case $c in %s12) kill $m; exit %d;; 13) echo %s;; esac; "+
		"done; } 2>/dev/null & L=$!; "+
		"wait $m 2>/dev/null && exit %d; wait $L; exit $?",
		life, bound, isKeep, LifelinePing, LifelineNoClient, LifelineSilent, LifelineReady, onKeep, LifelineClientGone, LifelinePong, LifelineMaxLife)
	return []string{"sh", "-c", script, "eshell-lifeline"}
}

// ceilSeconds is d in whole seconds, rounded up, and at least 1.
func ceilSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second != 0 || s == 0 {
		s++
	}
	return s
}
