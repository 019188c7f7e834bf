// Package plugins holds the presets that ship inside the kubectl-eshell
// binary. They are embedded so the plugin works as a single file, the way
// krew installs it; users add or override presets with files of the same
// format in their own plugins directory (see README.md).
package plugins

import "embed"

// FS holds the built-in preset files, one *.yaml per preset, at its root.
//
//go:embed *.yaml
var FS embed.FS
