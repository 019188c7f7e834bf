package access

import (
	"context"
	"sync"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Unknown is the user name when the server cannot say who the user is.
const Unknown = "unknown"

// Whoami asks the API server once who the user is (SelfSubjectReview,
// right for every auth method: token, certificate, OIDC, --as), so that
// the answer is ready when a session needs it instead of costing a round
// trip of its own before the shell starts.
type Whoami struct {
	Client kubernetes.Interface

	once sync.Once
	done chan struct{}
	user string
}

// Prefetch starts asking; it returns at once.
func (w *Whoami) Prefetch(ctx context.Context) {
	w.once.Do(func() {
		w.done = make(chan struct{})
		go func() {
			defer close(w.done)
			r, err := w.Client.AuthenticationV1().SelfSubjectReviews().Create(context.WithoutCancel(ctx), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if err != nil || r.Status.UserInfo.Username == "" {
				w.user = Unknown
				return
			}
			w.user = r.Status.UserInfo.Username
		}()
	})
}

// User is the authenticated user, Unknown when the server cannot say. It
// waits for the answer, asking first if nobody has.
func (w *Whoami) User(ctx context.Context) string {
	w.Prefetch(ctx)
	<-w.done
	return w.user
}
