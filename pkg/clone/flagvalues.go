package clone

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sberz/kubectl-eshell/pkg/config"
	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// The values of clone's override flags parse as they are given, so a typo
// is refused before the cluster is asked.

// ImagesFlag is the pflag.Value of --set-image [CONTAINER=]IMAGE,
// repeatable.
type ImagesFlag struct{ List *[]plan.ImageOverride }

// Set parses one --set-image. An image reference holds no "=", so the
// first one, if any, ends the container's name.
func (f ImagesFlag) Set(s string) error {
	o := plan.ImageOverride{Image: s}
	if name, image, ok := strings.Cut(s, "="); ok {
		if name == "" {
			return errors.New("the container's name before = is empty: give IMAGE for the session's container, or CONTAINER=IMAGE")
		}
		o = plan.ImageOverride{Container: name, Image: image}
	}
	if strings.TrimSpace(o.Image) == "" || strings.ContainsAny(o.Image, " \t\n") {
		return fmt.Errorf("%q is not an image: give IMAGE or CONTAINER=IMAGE, e.g. bash:5.2 or web=registry.example.com/web:1.3", o.Image)
	}
	*f.List = append(*f.List, o)
	return nil
}

func (f ImagesFlag) String() string {
	if f.List == nil {
		return ""
	}
	out := make([]string, len(*f.List))
	for i, o := range *f.List {
		out[i] = o.Image
		if o.Container != "" {
			out[i] = o.Container + "=" + o.Image
		}
	}
	return strings.Join(out, ",")
}

// Type names the value in --help.
func (f ImagesFlag) Type() string { return "[CONTAINER=]IMAGE" }

// EnvFlag is the pflag.Value of --set-env NAME=VALUE and, with File, of
// --set-env-file PATH. Both append to one list, so whichever comes later
// on the command line wins.
type EnvFlag struct {
	List *[]plan.EnvOverride
	File bool
}

// Set parses one --set-env, or reads one --set-env-file.
func (f EnvFlag) Set(s string) error {
	if f.File {
		b, err := readBounded(s, config.MaxEnvFile)
		if err != nil {
			return fmt.Errorf("reading the variables: %w", err)
		}
		vars, err := ParseEnvFile(s, b)
		if err != nil {
			return err
		}
		for _, v := range vars {
			setEnv(f.List, v)
		}
		return nil
	}
	v, err := parseEnv(s)
	if err != nil {
		return fmt.Errorf("%w: give NAME=VALUE", err)
	}
	setEnv(f.List, v)
	return nil
}

// String shows the names only: the values may be secrets, and pflag
// prints String in messages.
func (f EnvFlag) String() string {
	if f.List == nil || f.File {
		return ""
	}
	names := make([]string, len(*f.List))
	for i, v := range *f.List {
		names[i] = v.Name
	}
	return strings.Join(names, ",")
}

// Type names the value in --help.
func (f EnvFlag) Type() string {
	if f.File {
		return "PATH"
	}
	return "NAME=VALUE"
}

// readBounded reads the file at path, refusing one over max bytes before
// reading it whole (a device or a mistyped path to a large file).
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only: a close error loses nothing
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes, more than a Secret can hold; give the variables that the session needs only", path, max)
	}
	return b, nil
}

// setEnv adds v, or gives an earlier variable of its name v's value.
func setEnv(list *[]plan.EnvOverride, v plan.EnvOverride) {
	if i := slices.IndexFunc(*list, func(x plan.EnvOverride) bool { return x.Name == v.Name }); i >= 0 {
		(*list)[i].Value = v.Value
		return
	}
	*list = append(*list, v)
}

// parseEnv reads NAME=VALUE. The name must be one a shell can read and a
// Secret can hold as a key; the value is anything, empty included.
func parseEnv(s string) (plan.EnvOverride, error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		// Not quoted: a value typed without its NAME= is still a value.
		return plan.EnvOverride{}, errors.New("no = in the variable")
	}
	if msgs := validation.IsEnvVarName(name); len(msgs) > 0 {
		return plan.EnvOverride{}, fmt.Errorf("%q is not a variable name: %s", name, strings.Join(msgs, "; "))
	}
	return plan.EnvOverride{Name: name, Value: value}, nil
}

// ParseEnvFile reads a dotenv file as `kubectl create secret
// --from-env-file` does: one NAME=VALUE a line, blank lines and lines
// starting with # skipped, leading white space ignored, the value taken
// as it is (quotes included). A malformed line is refused with its number,
// and without its text, which may hold a value.
func ParseEnvFile(path string, data []byte) ([]plan.EnvOverride, error) {
	var out []plan.EnvOverride
	for i, line := range bytes.Split(data, []byte("\n")) {
		s := strings.TrimLeft(strings.TrimSuffix(string(line), "\r"), " \t")
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		v, err := parseEnv(s)
		if err != nil {
			// Neither the line nor the text before its = is quoted: a line
			// typed wrong ("PASSWORD secret=x") may carry a value there.
			err = errors.New("no =")
			if strings.Contains(s, "=") {
				err = errors.New("the text before = is not a variable name (letters, digits, _, - and ., not starting with a digit)")
			}
			return nil, fmt.Errorf("%s line %d: %w; each line is NAME=VALUE, a # comment or blank", path, i+1, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// resourceNames are what --requests and --limits set: the resources of a
// container every node accounts for.
var resourceNames = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage}

// ResourcesFlag is the pflag.Value of --requests and --limits, e.g.
// cpu=500m,memory=256Mi; given again, it adds to (or changes) the earlier.
type ResourcesFlag struct{ List *corev1.ResourceList }

// Set parses one --requests or --limits.
func (f ResourcesFlag) Set(s string) error {
	l, err := ParseResources(s)
	if err != nil {
		return err
	}
	if *f.List == nil {
		*f.List = corev1.ResourceList{}
	}
	for k, v := range l {
		(*f.List)[k] = v
	}
	return nil
}

func (f ResourcesFlag) String() string {
	if f.List == nil {
		return ""
	}
	var out []string
	for _, n := range resourceNames {
		if q, ok := (*f.List)[n]; ok {
			out = append(out, string(n)+"="+q.String())
		}
	}
	return strings.Join(out, ",")
}

// Type names the value in --help.
func (f ResourcesFlag) Type() string { return "cpu=Q,memory=Q" }

// ParseResources reads NAME=QUANTITY pairs separated by commas, for the
// resources of resourceNames.
func ParseResources(s string) (corev1.ResourceList, error) {
	out := corev1.ResourceList{}
	for pair := range strings.SplitSeq(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			return nil, fmt.Errorf("%q is not NAME=QUANTITY: give e.g. cpu=500m,memory=256Mi", pair)
		}
		rn := corev1.ResourceName(name)
		if !slices.Contains(resourceNames, rn) {
			known := make([]string, len(resourceNames))
			for i, n := range resourceNames {
				known[i] = string(n)
			}
			return nil, fmt.Errorf("unknown resource %q: give one of %s", name, strings.Join(known, ", "))
		}
		q, err := resource.ParseQuantity(value)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w; give a quantity such as 500m or 1 (cpu) or 256Mi (memory)", name, escape.Line(value), err)
		}
		if q.Sign() < 0 {
			return nil, fmt.Errorf("%s=%s is negative: give a positive quantity", name, escape.Line(value))
		}
		out[rn] = q
	}
	return out, nil
}
