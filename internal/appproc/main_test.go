package appproc_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestMain turns this test binary into the app under test when
// APPPROC_TEST_APP is set: an HTTP server on 127.0.0.1:$PORT that starts
// after APP_BOOT_MS, answers its readiness path "/" with 500 until
// APP_READY_AFTER_MS, and serves
//
//	/pid    its process id
//	/crash  exit 3 mid-request
//	/hang   no answer for a minute
//	POST /hooks/PHASE/  a SnapStart hook (see hook)
//
// With APP_IGNORE_TERM it ignores SIGTERM; APP_EXIT makes it exit at once
// with that status, APP_EXIT_WHEN_READY with status 3 just after it answered
// ready. APP_HANG_ONCE names a file: the app that finds it missing creates
// it and hangs at boot. APP_MAX_CONCURRENT serves that many requests at a
// time, the rest waiting, as a threaded gunicorn worker does.
func TestMain(m *testing.M) {
	if os.Getenv("APPPROC_TEST_APP") == "" {
		os.Exit(m.Run())
	}
	if code := os.Getenv("APP_EXIT"); code != "" {
		n, _ := strconv.Atoi(code)
		fmt.Println("failing at boot on purpose")
		os.Exit(n)
	}
	if os.Getenv("APP_IGNORE_TERM") != "" {
		signal.Ignore(syscall.SIGTERM)
	}
	if mark := os.Getenv("APP_HANG_ONCE"); mark != "" {
		if f, err := os.OpenFile(mark, os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			f.Close()
			fmt.Println("hanging at boot on purpose")
			time.Sleep(time.Hour)
		}
	}
	ms := func(name string) time.Duration {
		n, _ := strconv.Atoi(os.Getenv(name))
		return time.Duration(n) * time.Millisecond
	}
	start := time.Now()
	time.Sleep(ms("APP_BOOT_MS"))
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("readiness host=%s\n", r.Host)
		if time.Since(start) < ms("APP_READY_AFTER_MS") {
			http.Error(w, "not yet", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNotFound) // any status below 500 is ready
		if os.Getenv("APP_EXIT_WHEN_READY") != "" {
			time.AfterFunc(10*time.Millisecond, func() { os.Exit(3) })
		}
	})
	mux.HandleFunc("/pid", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, os.Getpid()) })
	mux.HandleFunc("POST /hooks/{phase}/", hook)
	mux.HandleFunc("/crash", func(http.ResponseWriter, *http.Request) { os.Exit(3) })
	mux.HandleFunc("/hang", func(http.ResponseWriter, *http.Request) { time.Sleep(time.Minute) })
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening in %s\n", mustGetwd())
	fmt.Fprint(os.Stderr, "stderr line\n")
	http.Serve(ln, limit(mux))
}

// hook answers a SnapStart hook: 403 unless X-Djfront-Snapstart-Token is
// the app's DJFRONT_SNAPSTART_TOKEN, else APP_HOOK_STATUS (default 200)
// with "PHASE ran in PID, host HOST, verify X-Upstream-Verify, path
// DJFRONT_SNAPSTART_PATH"; with APP_HOOK_REDIRECT, a 302 to it.
func hook(w http.ResponseWriter, r *http.Request) {
	token := os.Getenv("DJFRONT_SNAPSTART_TOKEN")
	if token == "" || r.Header.Get("X-Djfront-Snapstart-Token") != token {
		http.Error(w, "wrong token", http.StatusForbidden)
		return
	}
	if loc := os.Getenv("APP_HOOK_REDIRECT"); loc != "" {
		http.Redirect(w, r, loc, http.StatusFound)
		return
	}
	status, _ := strconv.Atoi(os.Getenv("APP_HOOK_STATUS"))
	w.WriteHeader(max(status, http.StatusOK))
	fmt.Fprintf(w, "%s ran in %d, host %s, verify %s, path %s", r.PathValue("phase"), os.Getpid(), r.Host,
		r.Header.Get("X-Upstream-Verify"), os.Getenv("DJFRONT_SNAPSTART_PATH"))
}

// limit serves at most APP_MAX_CONCURRENT requests at a time, if set.
func limit(h http.Handler) http.Handler {
	n, _ := strconv.Atoi(os.Getenv("APP_MAX_CONCURRENT"))
	if n <= 0 {
		return h
	}
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slots <- struct{}{}
		defer func() { <-slots }()
		h.ServeHTTP(w, r)
	})
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return wd
}
