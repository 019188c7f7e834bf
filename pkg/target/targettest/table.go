package targettest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

// Clientset is the fake typed client whose REST client answers what
// eshell asks the API server for beyond typed objects: a list as a Table.
// Lists go through the fake's reactors, so a test's reactor (a Forbidden,
// say) applies to them too.
type Clientset struct {
	*fake.Clientset
	rest rest.Interface
	// Now is the clock of the Tables' ages; nil is time.Now.
	Now func() time.Time
}

// NewClientset serves objs as fake.NewClientset does, Tables included.
func NewClientset(objs ...runtime.Object) *Clientset {
	c := &Clientset{Clientset: fake.NewClientset(objs...)}
	rc, err := rest.RESTClientFor(&rest.Config{
		Host: "https://fake.invalid", APIPath: "/api",
		ContentConfig: rest.ContentConfig{GroupVersion: &corev1.SchemeGroupVersion, NegotiatedSerializer: scheme.Codecs.WithoutConversion()},
		Transport:     roundTripper(c.serve),
	})
	if err != nil {
		panic(err)
	}
	c.rest = rc
	return c
}

// CoreV1 is the fake's, with the REST client that serves Tables.
func (c *Clientset) CoreV1() corev1client.CoreV1Interface {
	return coreV1{CoreV1Interface: c.Clientset.CoreV1(), rest: c.rest}
}

func (c *Clientset) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

type coreV1 struct {
	corev1client.CoreV1Interface
	rest rest.Interface
}

func (c coreV1) RESTClient() rest.Interface { return c.rest }

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// serve answers GET .../namespaces/NS/RESOURCE asking for a Table.
func (c *Clientset) serve(r *http.Request) (*http.Response, error) {
	gvr, ns, ok := parsePath(r.URL.Path)
	if r.Method != http.MethodGet || !ok || !strings.Contains(r.Header.Get("Accept"), "as=Table") {
		return status(apierrors.NewNotFound(schema.GroupResource{Resource: r.URL.Path}, "the fake serves lists as Tables only"))
	}
	gvk, ok := kindOf(gvr)
	if !ok {
		return status(apierrors.NewNotFound(gvr.GroupResource(), ""))
	}
	list, err := c.Invokes(k8stesting.NewListAction(gvr, gvk, ns, metav1.ListOptions{}), nil)
	if err != nil {
		return status(err)
	}
	sel, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		return status(apierrors.NewBadRequest(err.Error()))
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	var selected []runtime.Object
	for _, obj := range items {
		if m, err := meta.Accessor(obj); err == nil && sel.Matches(labels.Set(m.GetLabels())) {
			selected = append(selected, obj)
		}
	}
	// Pages: the continue token is where the next one starts.
	t := &metav1.Table{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "Table"}}
	from, _ := strconv.Atoi(r.URL.Query().Get("continue"))
	if limit, _ := strconv.Atoi(r.URL.Query().Get("limit")); limit > 0 && from+limit < len(selected) {
		selected, t.Continue = selected[:from+limit], strconv.Itoa(from+limit)
	}
	for _, obj := range selected[min(from, len(selected)):] {
		m, err := meta.Accessor(obj)
		if err != nil {
			return nil, err
		}
		names, cells := tableCells(obj)
		names, cells = append(names, "Age"), append(cells, duration.HumanDuration(c.now().Sub(m.GetCreationTimestamp().Time)))
		if t.ColumnDefinitions == nil {
			for _, n := range names {
				t.ColumnDefinitions = append(t.ColumnDefinitions, metav1.TableColumnDefinition{Name: n})
			}
		}
		row := metav1.TableRow{Cells: cells}
		if include := r.URL.Query().Get("includeObject"); include == "" || include == string(metav1.IncludeMetadata) {
			pm := metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "PartialObjectMetadata"}}
			pm.ObjectMeta = *obj.(interface{ GetObjectMeta() metav1.Object }).GetObjectMeta().(*metav1.ObjectMeta)
			if row.Object.Raw, err = json.Marshal(pm); err != nil {
				return nil, err
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return respond(http.StatusOK, t)
}

// tableCells are the cells of the API server's Table for obj, in the
// columns eshell reads, worded as the server words them (the server has
// more columns; the e2e tests read the real ones).
func tableCells(obj runtime.Object) ([]string, []any) {
	ready := func(r int32, desired *int32) string {
		d := int32(1) // the API server's default
		if desired != nil {
			d = *desired
		}
		return fmt.Sprintf("%d/%d", r, d)
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return []string{"Name", "Ready"}, []any{o.Name, ready(o.Status.ReadyReplicas, o.Spec.Replicas)}
	case *appsv1.StatefulSet:
		return []string{"Name", "Ready"}, []any{o.Name, ready(o.Status.ReadyReplicas, o.Spec.Replicas)}
	case *appsv1.DaemonSet:
		return []string{"Name", "Desired", "Ready"}, []any{o.Name, o.Status.DesiredNumberScheduled, o.Status.NumberReady}
	case *batchv1.CronJob:
		suspend := "False"
		if o.Spec.Suspend != nil && *o.Spec.Suspend {
			suspend = "True"
		}
		return []string{"Name", "Suspend", "Active"}, []any{o.Name, suspend, len(o.Status.Active)}
	case *batchv1.Job:
		st := "Running"
		for _, c := range o.Status.Conditions {
			if c.Status == corev1.ConditionTrue && (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed || c.Type == batchv1.JobSuspended) {
				st = string(c.Type)
			}
		}
		return []string{"Name", "Status", "Completions"}, []any{o.Name, st, ready(o.Status.Succeeded, o.Spec.Completions)}
	case *corev1.Pod:
		var r int32
		st := string(o.Status.Phase)
		for _, s := range o.Status.ContainerStatuses {
			if s.Ready {
				r++
			}
			if s.State.Waiting != nil && s.State.Waiting.Reason != "" {
				st = s.State.Waiting.Reason
			}
		}
		if o.DeletionTimestamp != nil {
			st = "Terminating"
		}
		return []string{"Name", "Ready", "Status"}, []any{o.Name, fmt.Sprintf("%d/%d", r, len(o.Spec.Containers)), st}
	}
	panic(fmt.Sprintf("the fake has no Table for %T", obj))
}

// parsePath reads /api/v1/namespaces/NS/RESOURCE or
// /apis/GROUP/VERSION/namespaces/NS/RESOURCE.
func parsePath(p string) (gvr schema.GroupVersionResource, ns string, ok bool) {
	s := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(s) == 5 && s[0] == "api":
		gvr, s = schema.GroupVersionResource{Version: s[1]}, s[2:]
	case len(s) == 6 && s[0] == "apis":
		gvr, s = schema.GroupVersionResource{Group: s[1], Version: s[2]}, s[3:]
	default:
		return gvr, "", false
	}
	if s[0] != "namespaces" {
		return gvr, "", false
	}
	gvr.Resource = s[2]
	return gvr, s[1], true
}

func kindOf(gvr schema.GroupVersionResource) (schema.GroupVersionKind, bool) {
	for gvk := range scheme.Scheme.AllKnownTypes() {
		if gvk.GroupVersion() == gvr.GroupVersion() && !strings.HasSuffix(gvk.Kind, "List") {
			if plural, _ := meta.UnsafeGuessKindToResource(gvk); plural == gvr {
				return gvk, true
			}
		}
	}
	return schema.GroupVersionKind{}, false
}

func status(err error) (*http.Response, error) {
	s, ok := err.(apierrors.APIStatus)
	if !ok {
		return nil, err
	}
	st := s.Status()
	st.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Status"}
	return respond(int(st.Code), &st)
}

func respond(code int, obj any) (*http.Response, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(b))}, nil
}
