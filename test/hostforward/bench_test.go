package hostforward_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
)

// The in-function mode's costs, each measured against its baseline in the
// same iteration, alternately, so that both see the same load on a shared
// machine; each reports the medians of both sides and the median of the
// per-iteration ratios (bench/serverless.sh runs them in rounds and
// summarizes with benchstat):
//
//   - BenchmarkColdStart: from process spawn to the first answered request,
//     hostforward starting gunicorn inside the function vs the same gunicorn
//     started alone and polled directly, as often as hostforward polls it;
//   - BenchmarkWarmRequest: one request through the built bootstrap under
//     the Runtime API, the app inside the function vs the app elsewhere (the
//     external mode), and the peak RSS of each bootstrap process itself.

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

// timed returns how long f took.
func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// reportPaired reports the medians of base and other (in unit, per op) and
// the median of their per-iteration ratios, instead of ns/op.
func reportPaired(b *testing.B, baseName, otherName string, base, other []time.Duration, unit time.Duration, unitName string) {
	ratios := make([]float64, len(base))
	for i := range base {
		ratios[i] = float64(other[i]) / float64(base[i])
	}
	median := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	inUnit := func(d []time.Duration) []float64 {
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x) / float64(unit)
		}
		return out
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(median(inUnit(base)), baseName+"-"+unitName)
	b.ReportMetric(median(inUnit(other)), otherName+"-"+unitName)
	b.ReportMetric(median(ratios), otherName+"/"+baseName)
}

func BenchmarkColdStart(b *testing.B) {
	testenv.Integration(b)
	dj := prepareDjango(b, pyenv.Django{})
	payload := whoamiPayload(b)
	testenv.BuildBootstrap(b, "./functions/hostforward") // built before the clock runs
	var alone, inside []time.Duration
	for range b.N {
		port := strconv.Itoa(testenv.FreePort(b))
		cmd := exec.Command("/bin/sh", "-c", gunicorn)
		cmd.Dir, cmd.Env = dj.Dir, append(dj.Env, "PATH="+pyenv.FunctionPath(), "PORT="+port) // the function's PATH
		var p *childproc.Process
		alone = append(alone, timed(func() {
			var err error
			if p, err = childproc.Start("gunicorn", cmd, childproc.Options{}); err != nil {
				b.Fatal(err)
			}
			readiness := childproc.Readiness{URL: "http://127.0.0.1:" + port + "/whoami/", Host: site, Every: 10 * time.Millisecond}
			if err := childproc.AwaitHTTP(b.Context(), p, readiness); err != nil {
				b.Fatalf("%v\n%s", err, p.Tail())
			}
		}))
		p.Stop(time.Second)

		var f *inFunction
		inside = append(inside, timed(func() {
			f = startInFunction(b, dj, gunicorn, 10*time.Second)
			answered(b, f.fn, payload)
		}))
		f.fn.Close()
	}
	reportPaired(b, "gunicorn", "infunction", alone, inside, time.Millisecond, "ms")
}

func BenchmarkWarmRequest(b *testing.B) {
	testenv.Integration(b)
	payload := whoamiPayload(b)
	dj := testenv.StartDjango(b, map[string]string{"DJFRONT_HOSTS": site})
	sandbox := "DJFRONT_E2E_SANDBOX=" + b.TempDir()
	external := testenv.StartFunction(b, testenv.BuildBootstrap(b, "./functions/hostforward"), []string{
		"UPSTREAM_URL=" + dj.URL, "ALLOWED_HOSTS=" + site, "ORIGIN_VERIFY_SECRETS=" + secret, sandbox,
	}, 10*time.Second)
	inside := startInFunction(b, prepareDjango(b, pyenv.Django{}), gunicorn, 10*time.Second)
	answered(b, external, payload) // both warm
	answered(b, inside.fn, payload)
	var ext, in []time.Duration
	for range b.N {
		ext = append(ext, timed(func() { answered(b, external, payload) }))
		in = append(in, timed(func() { answered(b, inside.fn, payload) }))
	}
	reportPaired(b, "external", "infunction", ext, in, time.Microsecond, "µs")
	b.ReportMetric(float64(peakRSS(b, sandbox)), "external-peak-RSS-KiB")
	b.ReportMetric(float64(peakRSS(b, inside.sandbox)), "infunction-peak-RSS-KiB")
}

// peakRSS returns the VmHWM, in KiB, of the bootstrap process among the
// processes whose environment holds sandbox: hostforward itself, not the app.
func peakRSS(tb testing.TB, sandbox string) int {
	tb.Helper()
	for pid, cmd := range (&inFunction{sandbox: sandbox}).processes() {
		if !strings.HasSuffix(strings.Fields(cmd + " x")[0], "/bootstrap") {
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
