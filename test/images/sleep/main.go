// Command sleep is the one program of the locally built shell-less image
// (a stand-in for a distroless app) and of the pod sandbox image (pause). It
// sleeps for the given seconds, or forever for "infinity" or no argument,
// and exits 0 on SIGTERM or SIGINT, as the kubelet expects of a sandbox.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var timeout <-chan time.Time
	if len(os.Args) > 1 && os.Args[1] != "infinity" {
		secs, err := strconv.ParseFloat(os.Args[1], 64)
		if err != nil || secs < 0 {
			fmt.Fprintf(os.Stderr, "sleep: invalid time interval %q\n", os.Args[1])
			os.Exit(1)
		}
		timeout = time.After(time.Duration(secs * float64(time.Second)))
	}
	select {
	case <-stop:
	case <-timeout:
	}
}
