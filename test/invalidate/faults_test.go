package invalidate_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/internal/pathplan"
)

// fault is what the proxy does to one CreateInvalidation request.
type fault struct {
	status int
	code   string // the CloudFront error code; "" passes the request on
	// after forwards the request to moto first and then answers with the
	// error: the invalidation exists, but the function never hears of it.
	after bool
}

var (
	throttling = fault{status: http.StatusBadRequest, code: "Throttling"}
	tooMany    = fault{status: http.StatusBadRequest, code: "TooManyInvalidationsInProgress"}
	lost       = fault{status: http.StatusServiceUnavailable, code: "ServiceUnavailable", after: true}
)

// faultProxy stands between the function and moto's CloudFront API and
// applies faults[n] to the n-th CreateInvalidation request (the last one to
// every later request; none when empty), recording each request's caller
// reference. A request whose body contains refuse, if set, is answered
// with CloudFront's InvalidArgument instead.
type faultProxy struct {
	url    string // where the proxy listens
	faults []fault
	refuse string
	next   http.Handler

	mu   sync.Mutex
	refs []string
}

// startFaultProxy starts a proxy to moto on a loopback port.
func startFaultProxy(t *testing.T, moto string, faults ...fault) *faultProxy {
	t.Helper()
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{faults: faults, next: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // the host the request was signed for
	}}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// isCreateInvalidation matches POST /2020-05-31/distribution/ID/invalidation.
func isCreateInvalidation(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invalidation")
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isCreateInvalidation(r) {
		p.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var batch struct {
		CallerReference string `xml:"CallerReference"`
	}
	_ = xml.Unmarshal(body, &batch)

	p.mu.Lock()
	n := len(p.refs)
	p.refs = append(p.refs, batch.CallerReference)
	var f fault
	if len(p.faults) > 0 {
		f = p.faults[min(n, len(p.faults)-1)]
	}
	if p.refuse != "" && bytes.Contains(body, []byte(p.refuse)) {
		f = fault{status: http.StatusBadRequest, code: "InvalidArgument"}
	}
	p.mu.Unlock()

	if f.code == "" {
		p.next.ServeHTTP(w, r)
		return
	}
	if f.after {
		p.next.ServeHTTP(httptest.NewRecorder(), r)
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("fault-%d", n))
	w.WriteHeader(f.status)
	fmt.Fprintf(w, `<?xml version="1.0"?>
<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>%s</Code><Message>injected by the test</Message></Error><RequestId>fault-%d</RequestId></ErrorResponse>`, f.code, n)
}

// requests returns the caller references of the CreateInvalidation
// requests seen.
func (p *faultProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refs)
}

// uploads are the objects the fault tests put: two that need invalidating
// and one hashed file that does not.
var uploads = []string{"static/css/site.css", "static/js/app.js", "static/css/site.0123456789ab.css"}

func (st *stack) upload(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		must(t, "put "+k, func() error {
			_, err := st.s3.PutObject(t.Context(), &s3.PutObjectInput{
				Bucket: aws.String(st.bucket), Key: aws.String(k), Body: strings.NewReader("content of " + k),
			})
			return err
		})
	}
}

// checkCovered fails t unless the invalidations cover every mutable key of
// uploads and name no hashed one.
func checkCovered(t *testing.T, invs []recorded) {
	t.Helper()
	paths := allPaths(invs)
	for _, k := range uploads {
		covered := pathplan.Covers(paths, objectPath(k))
		if want := !immutable.MatchString(k); covered != want {
			t.Errorf("%q covered by %q: got %v, want %v", k, paths, covered, want)
		}
	}
}

func TestFaults(t *testing.T) {
	testenv.Integration(t)
	tests := []struct {
		name   string
		faults []fault
		// wantCalls is how many CreateInvalidation requests the proxy
		// sees; wantRecorded how many invalidations moto holds.
		wantCalls, wantRecorded int
	}{
		{name: "throttled three times", faults: []fault{throttling, throttling, throttling, {}}, wantCalls: 4, wantRecorded: 1},
		{name: "too many in progress twice", faults: []fault{tooMany, tooMany, {}}, wantCalls: 3, wantRecorded: 1},
		{name: "mixed", faults: []fault{throttling, tooMany, throttling, tooMany, {}}, wantCalls: 5, wantRecorded: 1},
		// The first response is lost after moto created the invalidation:
		// the retry asks for the same one, with the same reference and
		// paths. (CloudFront would return the first; moto records both.)
		{name: "response lost", faults: []fault{lost, {}}, wantCalls: 2, wantRecorded: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var proxy *faultProxy
			st := newStack(t, stackOptions{
				visibility: 30 * time.Second, maxReceiveCount: 3, timeout: 30 * time.Second, batchSize: 10,
				cloudFrontEndpoint: func(moto string) string {
					proxy = startFaultProxy(t, moto, tt.faults...)
					return proxy.url
				},
			})
			st.upload(t, uploads...)
			batches, err := st.poller.Drain(t.Context(), 20)
			if err != nil {
				t.Fatal(err)
			}
			if f := failedMessages(batches); len(f) != 0 {
				t.Fatalf("messages failed: %q", f)
			}
			refs := proxy.requests()
			if got, want := len(refs), tt.wantCalls; got != want {
				t.Errorf("got %d CreateInvalidation requests, want %d", got, want)
			}
			if distinct := slices.Compact(slices.Sorted(slices.Values(refs))); len(distinct) != 1 {
				t.Errorf("got caller references %q, want one reused by every retry", refs)
			}
			invs := st.invalidations(t)
			if got, want := len(invs), tt.wantRecorded; got != want {
				t.Fatalf("got %d invalidations, want %d", got, want)
			}
			for _, inv := range invs[1:] {
				if inv.ref != invs[0].ref || !slices.Equal(inv.paths, invs[0].paths) {
					t.Errorf("got invalidation %+v after %+v, want the same reference and paths", inv, invs[0])
				}
			}
			checkCovered(t, invs)
		})
	}
}

// TestFaultsForever: CloudFront never accepts the invalidation. Each
// delivery retries until the function's deadline and reports every message
// failed; SQS delivers them again, and after maxReceiveCount they are in
// the dead-letter queue — none vanish.
func TestFaultsForever(t *testing.T) {
	testenv.Integration(t)
	const maxReceiveCount = 2
	var proxy *faultProxy
	st := newStack(t, stackOptions{
		visibility: 6 * time.Second, maxReceiveCount: maxReceiveCount, timeout: 5 * time.Second, batchSize: 10,
		cloudFrontEndpoint: func(moto string) string {
			proxy = startFaultProxy(t, moto, tooMany)
			return proxy.url
		},
	})
	st.upload(t, uploads...)
	batches, err := st.poller.Drain(t.Context(), 60)
	if err != nil {
		t.Fatal(err)
	}

	if got, want := len(batches), maxReceiveCount; got < want {
		t.Errorf("got %d deliveries, want at least %d", got, want)
	}
	// A batch delivered again asks for the same invalidation: one caller
	// reference per distinct set of messages.
	sets := map[string]bool{}
	for _, b := range batches {
		if !slices.Equal(b.Failed, b.IDs) {
			t.Errorf("got failures %q for batch %q, want all", b.Failed, b.IDs)
		}
		sets[strings.Join(slices.Sorted(slices.Values(b.IDs)), " ")] = true
	}
	refs := slices.Compact(slices.Sorted(slices.Values(proxy.requests())))
	if got, want := len(refs), len(sets); got != want {
		t.Errorf("got %d caller references for %d distinct batches, want %d", got, want, want)
	}
	if len(proxy.requests()) <= len(batches) {
		t.Errorf("got %d CreateInvalidation requests in %d deliveries, want retries within each", len(proxy.requests()), len(batches))
	}
	if invs := st.invalidations(t); len(invs) != 0 {
		t.Errorf("got invalidations %+v, want none", invs)
	}
	got := st.dlqKeys(t)
	slices.Sort(got)
	want := slices.Sorted(slices.Values(uploads))
	if !slices.Equal(got, want) {
		t.Errorf("got DLQ keys %q, want %q", got, want)
	}
}
