package hostforward_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/runtimeapi"
	"github.com/djfront/djfront/internal/testenv"
)

// The in-function mode's costs, each against its baseline in the same run
// (bench/serverless.sh compares them with benchstat -col /mode):
//
//   - BenchmarkColdStart: from process spawn to the first answered request,
//     hostforward starting gunicorn inside the function vs the same gunicorn
//     started alone and polled directly, as often as hostforward polls it;
//   - BenchmarkWarmRequest: one request through the built bootstrap under
//     the Runtime API, the app inside the function vs the app elsewhere (the
//     external mode), with the peak RSS of the bootstrap process itself;
//     a third variant turns gunicorn's access log off, to show what the app's
//     log lines passing through hostforward cost.

// whoamiPayload is a GET /whoami/ event, encoded once.
func whoamiPayload(tb testing.TB) []byte {
	tb.Helper()
	b, err := json.Marshal(event(tb, "api-get.json", "GET", "/whoami/"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// answered invokes srv with payload and fails unless the app answered 200.
func answered(tb testing.TB, srv *runtimeapi.Server, payload []byte) {
	res, err := srv.Invoke(context.Background(), payload)
	if err != nil || res.Error != nil {
		tb.Fatalf("invoke: %v %v", err, res.Error)
	}
	var resp struct {
		StatusCode int `json:"statusCode"`
	}
	if err := json.Unmarshal(res.Payload, &resp); err != nil || resp.StatusCode != 200 {
		tb.Fatalf("response %.300s", res.Payload)
	}
}

func BenchmarkColdStart(b *testing.B) {
	testenv.Integration(b)
	dj := prepareDjango(b)
	payload := whoamiPayload(b)
	testenv.BuildBootstrap(b, "./functions/hostforward") // built before the clock runs
	b.Run("mode=gunicorn", func(b *testing.B) {
		for range b.N {
			port := strconv.Itoa(testenv.FreePort(b))
			cmd := exec.Command("/bin/sh", "-c", gunicorn)
			cmd.Dir, cmd.Env = dj.Dir, append(dj.Env, "PATH=/usr/bin:/bin", "PORT="+port) // the function's PATH
			b.StartTimer()
			p, err := childproc.Start("gunicorn", cmd, childproc.Options{})
			if err != nil {
				b.Fatal(err)
			}
			err = childproc.AwaitHTTP(b.Context(), p, childproc.Probe{URL: "http://127.0.0.1:" + port + "/whoami/", Host: site, Every: 10 * time.Millisecond})
			b.StopTimer()
			p.Stop(time.Second)
			if err != nil {
				b.Fatalf("%v\n%s", err, p.Tail())
			}
		}
	})
	b.Run("mode=infunction", func(b *testing.B) {
		for range b.N {
			b.StartTimer()
			f := startInFunction(b, dj, gunicorn, 10*time.Second)
			answered(b, f.fn, payload)
			b.StopTimer()
			f.fn.Close()
		}
	})
}

func BenchmarkWarmRequest(b *testing.B) {
	testenv.Integration(b)
	payload := whoamiPayload(b)
	run := func(b *testing.B, srv *runtimeapi.Server, sandbox string) {
		answered(b, srv, payload) // the app is warm
		b.ResetTimer()
		for range b.N {
			answered(b, srv, payload)
		}
		b.StopTimer()
		b.ReportMetric(float64(peakRSS(b, sandbox)), "peak-RSS-KiB")
	}
	b.Run("mode=external", func(b *testing.B) {
		dj := testenv.StartDjango(b, map[string]string{"DJFRONT_HOSTS": site})
		sandbox := "DJFRONT_E2E_SANDBOX=" + b.TempDir()
		srv := testenv.StartFunction(b, testenv.BuildBootstrap(b, "./functions/hostforward"), []string{
			"UPSTREAM_URL=" + dj.URL, "ALLOWED_HOSTS=" + site, "ORIGIN_VERIFY_SECRETS=" + secret, sandbox,
		}, 10*time.Second)
		run(b, srv, sandbox)
	})
	b.Run("mode=infunction", func(b *testing.B) {
		f := startInFunction(b, prepareDjango(b), gunicorn, 10*time.Second)
		run(b, f.fn, f.sandbox)
	})
	// The app's access log line per request passes through hostforward
	// (childproc.LineWriter, then the function's stdout): this variant
	// without it shows what that costs.
	b.Run("mode=infunction-noaccesslog", func(b *testing.B) {
		f := startInFunction(b, prepareDjango(b), strings.Replace(gunicorn, "--access-logfile - ", "", 1), 10*time.Second)
		run(b, f.fn, f.sandbox)
	})
}

// peakRSS returns the VmHWM, in KiB, of the bootstrap process among the
// processes whose environment holds sandbox: hostforward itself, not the app.
func peakRSS(tb testing.TB, sandbox string) int {
	tb.Helper()
	for pid, cmd := range (&inFunction{sandbox: sandbox}).processes() {
		if !strings.HasSuffix(strings.TrimSpace(strings.Fields(cmd + " x")[0]), "/bootstrap") {
			continue
		}
		status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			tb.Fatal(err)
		}
		for line := range strings.Lines(string(status)) {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				return kb
			}
		}
	}
	tb.Fatal("no bootstrap process found")
	return 0
}
