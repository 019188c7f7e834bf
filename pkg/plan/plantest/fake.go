// Package plantest has fakes of the services an engine gets in plan.Deps,
// so that engine tests see who is named and what is audited without a
// cluster.
package plantest

import (
	"context"
	"slices"
	"sync"

	"github.com/sberz/kubectl-eshell/pkg/audit"
)

// User is a plan.Identity that names one user.
type User string

// User names u.
func (u User) User(context.Context) string { return string(u) }

// Recorder is a plan.Recorder that keeps the sessions begun and the
// errors they ended with.
type Recorder struct {
	mu      sync.Mutex
	started []audit.Session
	ended   []error
}

// Begin keeps s, and returns what keeps the end's error.
func (r *Recorder) Begin(_ context.Context, s audit.Session) func(error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, s)
	return func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ended = append(r.ended, err)
	}
}

// Started is the sessions begun, in order.
func (r *Recorder) Started() []audit.Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.started)
}

// Ended is the errors the sessions ended with, in order.
func (r *Recorder) Ended() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ended)
}
