package target

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/sberz/kubectl-eshell/pkg/keys"
)

// tableAccept asks the API server for a list as a Table, as kubectl get
// does: the columns kubectl prints and each object's metadata, computed on
// the server, instead of the objects with their pod templates and status.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io"

// pageSize is the most objects one response of a listing carries (a
// variable for tests).
var pageSize int64 = 500

// Row is one object of a listing: the cells the API server's Table has
// for it, by column name, as text ("web", "2/3", "true", "5m"), and its
// metadata when asked for (else only its name).
type Row struct {
	Meta  metav1.ObjectMeta
	Cells map[string]string
}

// RowOptions narrow a listing. Selector is a label selector (for pods, on
// top of the one that leaves eshell's clones out). Metadata makes each row
// carry its object's metadata (owners and labels, and the managedFields
// that are most of its size) besides the cells.
type RowOptions struct {
	Selector string
	Metadata bool
}

// Rows calls each with a Row per object of kind k in ns but eshell's own
// (see notOwn), as far as o selects them. It reads the server's Table, as
// kubectl get does, a page at a time: what the columns say, never the
// objects with their pod templates and status.
func Rows(ctx context.Context, c kubernetes.Interface, ns string, k Kind, o RowOptions, each func(Row) error) error {
	i, ok := info(k)
	if !ok {
		return fmt.Errorf("unsupported kind %q", k)
	}
	opts := notOwn()
	if o.Selector != "" {
		opts.LabelSelector = strings.Trim(opts.LabelSelector+","+o.Selector, ",")
	}
	opts.Limit = pageSize
	include := metav1.IncludeNone
	if o.Metadata {
		include = metav1.IncludeMetadata
	}
	for {
		body, err := c.CoreV1().RESTClient().Get().AbsPath(apiPath(i.gvr, ns, "")...).
			SetHeader("Accept", tableAccept).
			VersionedParams(&opts, scheme.ParameterCodec).
			Param("includeObject", string(include)).
			Do(ctx).Raw()
		if err != nil {
			return err
		}
		var t metav1.Table
		if err := json.Unmarshal(body, &t); err != nil {
			return fmt.Errorf("reading the table of %s: %w", i.gvr.GroupResource(), err)
		}
		for _, r := range t.Rows {
			row, err := tableRow(t.ColumnDefinitions, r)
			if err != nil {
				return fmt.Errorf("reading the table of %s: %w", i.gvr.GroupResource(), err)
			}
			if err := each(row); err != nil {
				return err
			}
		}
		if t.Continue == "" {
			return nil
		}
		opts.Continue = t.Continue
	}
}

func tableRow(cols []metav1.TableColumnDefinition, r metav1.TableRow) (Row, error) {
	row := Row{Cells: make(map[string]string, len(cols))}
	for j, col := range cols {
		if j < len(r.Cells) {
			row.Cells[col.Name] = cellText(r.Cells[j])
		}
	}
	if len(r.Object.Raw) > 0 {
		var m metav1.PartialObjectMetadata
		if err := json.Unmarshal(r.Object.Raw, &m); err != nil {
			return Row{}, err
		}
		row.Meta = m.ObjectMeta
	} else {
		row.Meta.Name = row.Cells["Name"]
	}
	return row, nil
}

// cellText renders a cell as kubectl would print it.
func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64: // a JSON number: the integer columns
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// notOwn selects the objects eshell offers: all but its own (clone Jobs,
// and the clone pods of older versions), which are sessions, not services.
func notOwn() metav1.ListOptions {
	sel, _ := labels.NewRequirement(keys.ManagedByLabel, "!=", []string{keys.ManagedByValue})
	return metav1.ListOptions{LabelSelector: labels.NewSelector().Add(*sel).String()}
}

// apiPath is the URL path of the resource gvr in ns, or of its object
// name.
func apiPath(gvr schema.GroupVersionResource, ns, name string) []string {
	p := []string{"/apis", gvr.Group, gvr.Version}
	if gvr.Group == "" {
		p = []string{"/api", gvr.Version}
	}
	p = append(p, "namespaces", ns, gvr.Resource)
	if name != "" {
		p = append(p, name)
	}
	return p
}

// getUnstructured reads one object of a resource the typed client has no
// type for (a custom resource) as JSON, through the typed client's own
// connection.
func getUnstructured(ctx context.Context, c kubernetes.Interface, gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, error) {
	body, err := c.CoreV1().RESTClient().Get().AbsPath(apiPath(gvr, ns, name)...).
		SetHeader("Accept", "application/json").Do(ctx).Raw()
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(body); err != nil {
		return nil, fmt.Errorf("reading %s %q: %w", gvr.GroupResource(), name, err)
	}
	return u, nil
}
