// Package targettest gives tests the two clients of target.Clients, both
// serving one set of objects. It does not import target, so target's own
// tests can use it.
package targettest

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	metadatafake "k8s.io/client-go/metadata/fake"
)

// Fakes serves objs (typed API objects) through a fake typed client (Tables
// of them included) and, as their metadata, through a fake metadata client.
func Fakes(objs ...runtime.Object) (*Clientset, *metadatafake.FakeMetadataClient) {
	s := runtime.NewScheme()
	_ = metav1.AddMetaToScheme(s)
	var metas []runtime.Object
	for _, o := range objs {
		gvks, _, err := scheme.Scheme.ObjectKinds(o)
		if err != nil {
			panic(err)
		}
		m, ok := o.(interface{ GetObjectMeta() metav1.Object })
		if !ok {
			panic(fmt.Sprintf("%T has no ObjectMeta", o))
		}
		pm := &metav1.PartialObjectMetadata{ObjectMeta: *m.GetObjectMeta().(*metav1.ObjectMeta).DeepCopy()}
		pm.APIVersion, pm.Kind = gvks[0].ToAPIVersionAndKind()
		metas = append(metas, pm)
	}
	return NewClientset(objs...), metadatafake.NewSimpleMetadataClient(s, metas...)
}
