package record

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Settings are the command line's and config file's say on recording.
type Settings struct {
	// File is --record: the file to write; "" for none.
	File string
	// Dir is the config's record.dir: every session is recorded there
	// unless File names another file.
	Dir string
	// Required is record.required: a session that would not be recorded
	// is refused.
	Required bool
	// Input is --record-input: keys are recorded too. Off by default,
	// since what is typed includes passwords, which a terminal does not
	// echo and so an output recording does not hold.
	Input bool
}

// Path is the file a session with id, started at now, is recorded in:
// File, else a new file in Dir named after the time and the session; ""
// when it is not recorded. It refuses what would fail after the session
// began, so nothing is created in the cluster for a session that cannot
// be recorded as asked: a File that exists (a recording is never
// replaced), a missing directory, a required recording with nowhere to
// go, and Input without a recording.
func (s Settings) Path(id string, now time.Time) (string, error) {
	path := s.File
	if path == "" && s.Dir != "" {
		path = filepath.Join(s.Dir, now.UTC().Format("20060102T150405Z")+"-"+id+".cast")
	}
	switch {
	case path == "" && s.Required:
		return "", errors.New("the config file requires a recording of every session (record.required): pass --record FILE, or set record.dir")
	case path == "" && s.Input:
		return "", errors.New("--record-input records the keys of a recording: pass --record FILE too, or set record.dir in the config file")
	case path == "":
		return "", nil
	}
	if _, err := os.Lstat(path); err == nil {
		return "", fmt.Errorf("recording %s: the file exists; choose another name or remove it", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("recording %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if s.File == "" {
			return "", fmt.Errorf("record.dir %s in the config file is not a directory: create it (mkdir -p %s) or change record.dir", s.Dir, s.Dir)
		}
		return "", fmt.Errorf("recording %s: the directory %s does not exist; create it or choose another path", path, dir)
	}
	return path, nil
}
