package cmd

import (
	"context"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// prefetchUser starts asking the API server who we are (SelfSubjectReview,
// right for every auth method: token, certificate, OIDC, --as) so the
// answer is ready when a session needs it, instead of costing a round trip
// of its own before the shell starts.
func (o *Options) prefetchUser(ctx context.Context) {
	o.userOnce.Do(func() {
		o.userDone = make(chan struct{})
		go func() {
			defer close(o.userDone)
			r, err := o.client.AuthenticationV1().SelfSubjectReviews().Create(context.WithoutCancel(ctx), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if err != nil || r.Status.UserInfo.Username == "" {
				o.user = "unknown"
				return
			}
			o.user = r.Status.UserInfo.Username
		}()
	})
}

// currentUser is the authenticated user sessions are recorded under;
// "unknown" when the server cannot say.
func (o *Options) currentUser(ctx context.Context) string {
	o.prefetchUser(ctx)
	<-o.userDone
	return o.user
}
