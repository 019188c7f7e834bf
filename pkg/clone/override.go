package clone

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// Overrides are the user's changes to the workload's pod template, for
// the clone only (--set-image, --set-env, --requests, --limits).
type Overrides struct {
	// Images replace the images of the clone's containers, in order; a
	// Container "" is the session's.
	Images []plan.ImageOverride
	// EnvNames are set in the session's container from the Secret
	// EnvSecret, each from the key of its name. The values are not here:
	// nothing of the pod may hold them, since whoever may read pods or Jobs
	// would read them there.
	EnvNames  []string
	EnvSecret string
	// Requests and Limits change the session's container's resources.
	Requests, Limits corev1.ResourceList
}

// applyOverrides changes the clone's spec as o asks; tmpl is the template's
// spec, to tell a container the clone leaves out from an unknown one.
func applyOverrides(spec *corev1.PodSpec, tmpl *corev1.PodSpec, source string, o Options) error {
	ov := o.Overrides
	if len(ov.EnvNames) > 0 && ov.EnvSecret == "" {
		return fmt.Errorf("env overrides without their Secret; this is a bug in kubectl-eshell, please report it")
	}
	for _, im := range ov.Images {
		name := cmp.Or(im.Container, o.Container)
		i := slices.IndexFunc(keptContainers(spec), func(c *corev1.Container) bool { return c.Name == name })
		if i < 0 {
			return notInClone(name, spec, tmpl, source, o)
		}
		c := keptContainers(spec)[i]
		c.Image = im.Image
		// The template's pull policy was chosen for its own image; the API
		// server defaults one for the new image (Always for :latest).
		c.ImagePullPolicy = ""
	}
	main := &spec.Containers[0]
	main.Env = withEnv(main.Env, ov.EnvNames, ov.EnvSecret)
	r, err := withResources(main.Resources, ov.Requests, ov.Limits)
	if err != nil {
		return err
	}
	main.Resources = r
	return nil
}

// notInClone explains why --set-image names a container the clone does
// not run.
func notInClone(name string, spec, tmpl *corev1.PodSpec, source string, o Options) error {
	if slices.ContainsFunc(tmpl.Containers, func(c corev1.Container) bool { return c.Name == name }) {
		return fmt.Errorf("--set-image %s=...: the clone runs only the session's container %q of the main containers of %s: pass -c %s to clone that one", name, o.Container, source, name)
	}
	if i := slices.IndexFunc(tmpl.InitContainers, func(c corev1.Container) bool { return c.Name == name }); i >= 0 {
		if isSidecar(tmpl.InitContainers[i]) {
			return fmt.Errorf("--set-image %s=...: the sidecar %q is dropped by --no-sidecars: drop that flag to run it", name, name)
		}
		return fmt.Errorf("--set-image %s=...: the init container %q does not run in the clone: pass --keep-init-containers to run it", name, name)
	}
	var names []string
	for _, c := range keptContainers(spec) {
		names = append(names, c.Name)
	}
	return fmt.Errorf("--set-image %s=...: no container %q in %s: give one of %s (the containers of the clone)", name, name, source, strings.Join(names, ", "))
}

// withEnv sets each of names from the Secret: an entry of the same name
// is replaced where it is (every one, should the template repeat it),
// else the variable is added at the end, where it wins over envFrom.
func withEnv(env []corev1.EnvVar, names []string, secret string) []corev1.EnvVar {
	if len(names) == 0 {
		return env
	}
	out := slices.Clone(env)
	for _, n := range names {
		ref := corev1.EnvVar{Name: n, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: n,
		}}}
		found := false
		for i := range out {
			if out[i].Name == n {
				out[i], found = ref, true
			}
		}
		if !found {
			out = append(out, ref)
		}
	}
	return out
}

// withResources sets requests and limits over the template's, and refuses
// a request above its limit, saying which flag or template set each.
func withResources(r corev1.ResourceRequirements, requests, limits corev1.ResourceList) (corev1.ResourceRequirements, error) {
	if len(requests) == 0 && len(limits) == 0 {
		return r, nil
	}
	out := *r.DeepCopy()
	set := func(dst *corev1.ResourceList, src corev1.ResourceList) {
		if len(src) == 0 {
			return
		}
		if *dst == nil {
			*dst = corev1.ResourceList{}
		}
		for k, v := range src {
			(*dst)[k] = v.DeepCopy()
		}
	}
	set(&out.Requests, requests)
	set(&out.Limits, limits)
	var names []string
	for n := range requests {
		names = append(names, string(n))
	}
	for n := range limits {
		names = append(names, string(n))
	}
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		rn := corev1.ResourceName(n)
		req, hasReq := out.Requests[rn]
		lim, hasLim := out.Limits[rn]
		if !hasReq || !hasLim || req.Cmp(lim) <= 0 {
			continue
		}
		from := func(l corev1.ResourceList, flag, what string) string {
			if _, ok := l[rn]; ok {
				return flag
			}
			return "the template's " + what
		}
		return corev1.ResourceRequirements{}, fmt.Errorf("the request %s=%s (%s) is above the limit %s=%s (%s): a request may not exceed its limit; change --requests or --limits",
			n, req.String(), from(requests, "--requests", "request"), n, lim.String(), from(limits, "--limits", "limit"))
	}
	return out, nil
}
