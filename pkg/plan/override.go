package plan

// The overrides of --mode clone change the workload's pod template for the
// clone only: another image (--set-image), variables (--set-env,
// --set-env-file) and resources (--requests, --limits). Package clone
// parses their flags into these.

// ImageOverride is one --set-image.
type ImageOverride struct {
	// Container is the container's name; "" is the session's container.
	Container string
	Image     string
}

// EnvOverride is one variable of --set-env or --set-env-file.
type EnvOverride struct {
	Name, Value string
}

// EnvValues are the values of the env overrides, for the redaction of
// logs: they go into the clone's Secret only.
func (s CloneSettings) EnvValues() []string {
	out := make([]string, len(s.Env))
	for i, v := range s.Env {
		out[i] = v.Value
	}
	return out
}
