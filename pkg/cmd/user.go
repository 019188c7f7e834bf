package cmd

import (
	"context"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// currentUser asks the API server who we are (SelfSubjectReview), which is
// right for every auth method (token, certificate, OIDC, --as). Sessions
// are recorded under this name; "unknown" when the server cannot say.
func (o *Options) currentUser(ctx context.Context) string {
	if o.user != "" {
		return o.user
	}
	r, err := o.client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil || r.Status.UserInfo.Username == "" {
		o.user = "unknown"
	} else {
		o.user = r.Status.UserInfo.Username
	}
	return o.user
}
