package demo

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// How the watcher polls the app's files, as runserver's StatReloader does
// (once a second), and how long they must stay unchanged before the app
// restarts, so that a save of several files restarts it once.
const (
	pollInterval = time.Second
	settleTime   = 300 * time.Millisecond
)

// watchedSuffixes are the files whose edit restarts the app: Python
// modules, and templates (the cached template loader keeps them while the
// app runs, with DEBUG off).
var watchedSuffixes = []string{".py", ".html"}

// snapshot is the modification time and size of each watched file.
type snapshot map[string]string

// scan returns the watched files under root and their modification times
// and sizes. It skips what is not the project's own code: directories whose
// name starts with a dot (.git, .venv, .djfront), __pycache__,
// node_modules, and any virtualenv (a directory with pyvenv.cfg).
func scan(root string) snapshot {
	out := snapshot{}
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file that went away mid-walk, or an unreadable one
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "__pycache__" || name == "node_modules" || isFile(filepath.Join(path, "pyvenv.cfg"))) {
				return filepath.SkipDir
			}
			return nil
		}
		if !slices.ContainsFunc(watchedSuffixes, func(s string) bool { return strings.HasSuffix(name, s) }) {
			return nil
		}
		if info, err := d.Info(); err == nil {
			out[path] = fmt.Sprint(info.ModTime().UnixNano(), info.Size())
		}
		return nil
	})
	return out
}

// changed returns the files added, removed or modified between a and b,
// sorted.
func changed(a, b snapshot) []string {
	var out []string
	for path, v := range b {
		if a[path] != v {
			out = append(out, path)
		}
	}
	for path := range a {
		if _, ok := b[path]; !ok {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out
}

// startWatch watches the app function's code (its CodeUri) until Close.
func (s *Stack) startWatch(context.Context) error {
	root := s.tpl.Functions[appFunctionID].CodeDir
	first := scan(root)
	s.bg.Go(func() { s.watchCode(s.bgCtx, root, first) })
	return nil
}

// watchCode polls root's watched files every pollInterval from last; once
// a change has settled, it recycles the app function — a new execution
// environment, whose cold start runs the app anew with the edited code —
// and reports it on Progress.
func (s *Stack) watchCode(ctx context.Context, root string, last snapshot) {
	for sleep(ctx, pollInterval) {
		now := scan(root)
		diff := changed(last, now)
		if len(diff) == 0 {
			continue
		}
		for settled := false; !settled; { // until a scan finds nothing new
			if !sleep(ctx, settleTime) {
				return
			}
			next := scan(root)
			settled = maps.Equal(now, next)
			diff, now = changed(last, next), next
		}
		last = now
		if len(diff) == 0 { // changed back
			continue
		}
		rel, _ := filepath.Rel(root, diff[0])
		more := ""
		if len(diff) > 1 {
			more = fmt.Sprintf(" and %d more", len(diff)-1)
		}
		fmt.Fprintf(s.cfg.Progress, "      [reload] %s%s changed: restarting the app (a new execution environment of %s)\n", rel, more, s.appID)
		start := time.Now()
		if err := s.app.Recycle(ctx); err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(s.cfg.Progress, "      [reload] the app did not start: %v (the next request tries again; the log has more)\n", err)
			}
			continue
		}
		if err := s.appAnswers(ctx); err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(s.cfg.Progress, "      [reload] the app is failing: %v (its output is in the log)\n", err)
			}
			continue
		}
		fmt.Fprintf(s.cfg.Progress, "      [reload] the app is up again after %d ms\n", time.Since(start).Milliseconds())
	}
}

// appAnswers returns nil once a GET of the app function's readiness path
// (UPSTREAM_READY_PATH, else /) through the edge is answered below 500,
// else what it got: a new execution environment can finish its init while
// its app fails (hostforward's own readiness check passes on djfront's 403
// for requests without its secret, before Django loads the URLs). A query
// of its own keeps the edge's cache out: it keeps error statuses for 10 s.
func (s *Stack) appAnswers(ctx context.Context) error {
	path := "/"
	if fn := s.tpl.Functions[s.appID]; fn != nil {
		path = cmp.Or(fn.Environment["UPSTREAM_READY_PATH"], path)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	resp, _, err := s.viewerGet(ctx, path+sep+"djfront-reload="+rand.Text())
	if err != nil {
		return err
	}
	if resp.StatusCode >= http.StatusInternalServerError {
		return fmt.Errorf("GET %s answered %s", path, resp.Status)
	}
	return nil
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
