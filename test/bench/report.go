package main

func failed(ss []Sample) int {
	n := 0
	for _, s := range ss {
		if !s.OK() {
			n++
		}
	}
	return n
}
