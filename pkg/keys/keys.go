// Package keys holds the names eshell writes onto cluster objects. They are
// the contract between a session, `kubectl eshell gc` and anyone auditing the
// cluster, so they live in one place.
package keys

const (
	// ManagedByLabel marks every object eshell creates; gc selects on it.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel.
	ManagedByValue = "kubectl-eshell"
	// SessionLabel carries the session id, shared by the clone pod and its events.
	SessionLabel = "eshell.kubectl.io/session"

	// SourceAnnotation names the workload a clone was derived from, as kind/name (e.g. deployment/web).
	SourceAnnotation = "eshell.kubectl.io/source"
	// UserAnnotation is the authenticated user who started the session (from SelfSubjectReview).
	UserAnnotation = "eshell.kubectl.io/user"
	// CommandAnnotation on a clone pod and on audit Events is what the
	// session ran, for humans: the program and the number of its arguments,
	// or, when the user opted in (--record-command), the whole command
	// line. Its key differs from WorkloadCommandAnnotation so that a kept
	// clone, itself a target, does not ask to run its recorded command again.
	CommandAnnotation = "eshell.kubectl.io/session-command"
	// ReasonAnnotation on a clone's Job and pod and on the start Event is
	// why the session was opened (--reason); namespace readers see it, by
	// design.
	ReasonAnnotation = "eshell.kubectl.io/reason"
	// ExpiresAnnotation is when the session's --max-duration ends (RFC 3339, UTC); gc deletes clones past it.
	ExpiresAnnotation = "eshell.kubectl.io/expires-at"

	// PresetAnnotation on a workload selects its default preset (e.g. django).
	PresetAnnotation = "eshell.kubectl.io/preset"
	// WorkloadCommandAnnotation on a workload sets its default command (a shell command line).
	WorkloadCommandAnnotation = "eshell.kubectl.io/command"

	// DefaultContainerAnnotation is kubectl's own annotation naming a pod's default container.
	DefaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

	// EnvNameLabel is the default label that marks a namespace as an ephemeral environment.
	EnvNameLabel = "envs.sberz.de/name"
	// EnvURLAnnotationPrefix prefixes an environment's endpoint annotations (url.envs.sberz.de/<endpoint>).
	EnvURLAnnotationPrefix = "url.envs.sberz.de/"
	// EnvStatusAnnotationPrefix prefixes an environment's status checks (status.envs.sberz.de/<check>).
	EnvStatusAnnotationPrefix = "status.envs.sberz.de/"
	// EnvOwnerKey names who owns an environment: an annotation (any text,
	// e.g. an e-mail address) or, where the tooling can only set labels, a
	// label; the annotation wins.
	EnvOwnerKey = "envs.sberz.de/owner"
	// EnvCreatedAtAnnotation is when the environment was created (RFC 3339),
	// for tooling that recreates or reuses namespaces; without it the
	// namespace's creation time is the environment's.
	EnvCreatedAtAnnotation = "envs.sberz.de/created-at"

	// DebugContainerPrefix starts the name of every ephemeral container eshell adds.
	DebugContainerPrefix = "eshell-"
	// DebugUserEnv is set in eshell's ephemeral containers to the requesting user, because
	// ephemeral containers carry no annotations and a later session must find its own.
	DebugUserEnv = "ESHELL_USER"
	// DebugExpiresEnv is set in eshell's ephemeral containers to when the session's
	// --max-duration ends (RFC 3339, UTC), for `kubectl eshell sessions`.
	DebugExpiresEnv = "ESHELL_EXPIRES"
	// DebugReasonEnv is set in eshell's ephemeral containers to the
	// session's --reason, for `kubectl eshell sessions`.
	DebugReasonEnv = "ESHELL_REASON"
)
