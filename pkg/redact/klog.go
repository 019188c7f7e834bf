package redact

import (
	goflag "flag"
	"io"
	"slices"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
)

// AddVerbosity adds klog's -v to fs, as kubectl has it: -v=6 and up show
// each API request. The returned function, called once the command line
// is parsed, routes klog to out with the command's args and the --set-env
// values redacted (see Logger).
func AddVerbosity(fs *pflag.FlagSet) func(out io.Writer, args, values []string) {
	klogFlags := goflag.NewFlagSet("klog", goflag.ContinueOnError)
	klog.InitFlags(klogFlags)
	v := klogFlags.Lookup("v")
	fs.AddGoFlag(v)
	return func(out io.Writer, args, values []string) {
		// client-go reports a cancelled stream (Ctrl+C, --max-duration) as
		// errors through klog; below -v=1 that is noise, not information.
		if v.Value.String() == "0" {
			klog.SetLogger(logr.Discard())
			return
		}
		// From -v=6 on, client-go logs the URLs and bodies that carry the
		// command's arguments and env values: they go out redacted.
		klog.SetLogger(Logger(out, args, values))
	}
}

// CommandArgs are the arguments of the user's command, from --command
// a,b,c or after -- (args[dash:]): the program (argv[0]) is named, as in
// the audit record; its arguments are what may hold a secret.
func CommandArgs(commandFlag, args []string, dash int) []string {
	var secrets []string
	if len(commandFlag) > 1 {
		secrets = slices.Clone(commandFlag[1:])
	}
	if dash >= 0 && dash < len(args) {
		secrets = append(secrets, args[dash+1:]...)
	}
	return secrets
}
