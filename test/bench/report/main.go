// Command report renders bench/README.md from the raw samples a benchmark
// run wrote (test/bench, hack/bench.sh):
//
//	go run ./test/bench/report -in bench/results -out bench/README.md
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sberz/kubectl-eshell/test/bench/results"
)

func main() {
	in := flag.String("in", "bench/results", "directory with samples.csv, requests.csv and meta.json")
	out := flag.String("out", "bench/README.md", "markdown file to write (- for stdout)")
	flag.Parse()
	d, err := results.Read(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	md := results.Render(d)
	if *out == "-" {
		fmt.Print(md)
		return
	}
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}
