package shell

// ToolsMount is where a shell-less clone's emptyDir of tools is mounted, in
// the container that copies them and in the app's container alike (the
// applet links busybox makes point at the path it was run from, so both
// must see the same one). A dot directory at the root: no image ships it,
// an app that walks its own directories does not list it by default, and
// /.eshell names who put it there.
const ToolsMount = "/.eshell"

// ToolsDir holds the static busybox and a link per applet (sh, ls, cat,
// env, id, sleep...).
const ToolsDir = ToolsMount + "/bin"

// Tools runs argv through the static shell of ToolsDir, with ToolsDir on
// PATH: after the image's own directories for what the user runs, so the
// app's programs win and busybox only fills in what the image lacks (the
// session sees the app's world, as in an image with a shell); before them
// with first, for the lifeline, whose sleep must be busybox's whatever the
// image calls sleep. The PATH change is the process's own: the container's
// environment, which every exec'd shell starts from, stays the app's.
func Tools(argv []string, first bool) []string {
	path := `PATH="${PATH:+$PATH:}` + ToolsDir + `"`
	if first {
		path = `PATH="` + ToolsDir + `${PATH:+:$PATH}"`
	}
	return append([]string{ToolsDir + "/sh", "-c", path + `; export PATH; exec "$@"`, "eshell"}, argv...)
}

// CopyTools is the command of the container that fills ToolsMount from an
// image with a static busybox (the official busybox image's is static):
// the binary, and a link per applet made by busybox itself. busybox's own
// sh answers "command -v busybox" with the bare applet name, so the usual
// places are looked at too.
func CopyTools() []string {
	return ContainerArgv([]string{"sh", "-c", `set -e; for b in "$(command -v busybox)" /bin/busybox /usr/bin/busybox /sbin/busybox; do [ -f "$b" ] && break; done; ` +
		`[ -f "$b" ] || { echo "eshell: no busybox in this image to copy a static shell from" >&2; exit 1; }; ` +
		`mkdir -p ` + ToolsDir + `; cp "$b" ` + ToolsDir + `/busybox; ` + ToolsDir + `/busybox --install -s ` + ToolsDir})
}
