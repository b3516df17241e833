package invalidate_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/djfront/djfront/internal/local/lambdasqs"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/internal/pathplan"
)

// versionsStack is small and quick: batches of up to 10 messages.
var versionsStack = stackOptions{visibility: 30 * time.Second, maxReceiveCount: 3, timeout: 30 * time.Second, batchSize: 10}

// put uploads body as key and returns the version S3 created.
func (st *stack) put(t *testing.T, key, body string) string {
	t.Helper()
	var version string
	must(t, "put "+key, func() error {
		out, err := st.s3.PutObject(t.Context(), &s3.PutObjectInput{
			Bucket: aws.String(st.bucket), Key: aws.String(key), Body: strings.NewReader(body),
		})
		if err == nil {
			version = aws.ToString(out.VersionId)
		}
		return err
	})
	return version
}

// deleteObject deletes key: the given version for good, or with version ""
// by adding a delete marker, whose version it returns.
func (st *stack) deleteObject(t *testing.T, key, version string) string {
	t.Helper()
	in := &s3.DeleteObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	var marker string
	must(t, "delete "+key, func() error {
		out, err := st.s3.DeleteObject(t.Context(), in)
		if err == nil {
			marker = aws.ToString(out.VersionId)
		}
		return err
	})
	return marker
}

// deliver delivers every message and returns the invalidations created
// and the batches; a failed message fails t.
func (st *stack) deliver(t *testing.T) ([]recorded, []*lambdasqs.Batch) {
	t.Helper()
	before := st.invalidations(t)
	batches, err := st.poller.Drain(t.Context(), 20)
	if err != nil {
		t.Fatal(err)
	}
	if f := failedMessages(batches); len(f) != 0 {
		t.Fatalf("messages failed: %q", f)
	}
	return since(before, st.invalidations(t)), batches
}

// TestPermanentlyDeletedVersion: put good, put bad (which CloudFront may
// have cached), DeleteObject VersionId=bad, put good again, all in one
// batch. The versions left all hold the good content, but the bad one was
// served: the key must be invalidated (issue 10, item 8).
func TestPermanentlyDeletedVersion(t *testing.T) {
	testenv.Integration(t)
	st := newStack(t, versionsStack)
	const key = "static/site/theme.css"
	good, bad := "h1 { color: green; }\n", "h1 { color: red; }\n"
	st.put(t, key, good)
	if invs, _ := st.deliver(t); len(invs) != 1 {
		t.Fatalf("got %d invalidations for the first upload, want 1", len(invs))
	}

	st.put(t, key, good)
	badVersion := st.put(t, key, bad)
	st.deleteObject(t, key, badVersion)
	st.put(t, key, good)
	invs, batches := st.deliver(t)
	if got, want := countMessages(batches), 4; got != want || len(batches) != 1 {
		t.Fatalf("got %d messages in %d batches, want %d in one", got, len(batches), want)
	}
	if paths := allPaths(invs); !pathplan.Covers(paths, objectPath(key)) {
		t.Errorf("got invalidated paths %q, want %s covered", paths, objectPath(key))
	}
}

// TestStaticAndMedia: the hashed-name rule skips only created static
// files. A media upload with a hashed-looking name and a removed hashed
// static file are invalidated (issue 10, item 10).
func TestStaticAndMedia(t *testing.T) {
	testenv.Integration(t)
	st := newStack(t, versionsStack)
	const (
		hashed = "static/css/site.0123456789ab.css"
		upload = "media/avatars/me.0123456789ab.png"
	)
	tests := []struct {
		name    string
		change  func(t *testing.T)
		key     string
		covered bool
	}{
		{"created static hashed file", func(t *testing.T) { st.put(t, hashed, "body{}") }, hashed, false},
		{"removed static hashed file", func(t *testing.T) { st.deleteObject(t, hashed, "") }, hashed, true},
		{"hashed file deleted and saved again", func(t *testing.T) {
			st.put(t, hashed, "body{}")
			st.deleteObject(t, hashed, "")
			st.put(t, hashed, "body{}")
		}, hashed, false},
		{"media upload with a hashed-looking name", func(t *testing.T) { st.put(t, upload, "one user's picture") }, upload, true},
		{"removed media upload", func(t *testing.T) { st.deleteObject(t, upload, "") }, upload, true},
		{"another user's upload under the same name", func(t *testing.T) { st.put(t, upload, "another user's picture") }, upload, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change(t)
			invs, _ := st.deliver(t)
			paths := allPaths(invs)
			if got := pathplan.Covers(paths, objectPath(tt.key)); got != tt.covered {
				t.Errorf("%s covered by %q: got %v, want %v", tt.key, paths, got, tt.covered)
			}
			if !tt.covered && len(invs) != 0 {
				t.Errorf("got invalidations %+v, want none", invs)
			}
		})
	}
}

// TestRefusedPathIsolated: CloudFront refuses the paths of one message
// (InvalidArgument, injected by the proxy for one key). The other
// messages of the batch are invalidated; only that one is redelivered
// and, after maxReceiveCount, lands in the dead-letter queue (issue 10,
// item 12).
func TestRefusedPathIsolated(t *testing.T) {
	testenv.Integration(t)
	const refusedKey = "static/css/refused.css"
	var proxy *faultProxy
	st := newStack(t, stackOptions{
		visibility: 2 * time.Second, maxReceiveCount: 2, timeout: 30 * time.Second, batchSize: 10,
		cloudFrontEndpoint: func(moto string) string {
			proxy = startFaultProxy(t, moto)
			proxy.refuse = "/" + refusedKey
			return proxy.url
		},
	})
	keys := []string{"static/css/a.css", refusedKey, "static/js/b.js", "static/img/c.png"}
	for _, k := range keys {
		st.put(t, k, "content of "+k)
	}
	batches, err := st.poller.Drain(t.Context(), 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) == 0 || countMessages(batches[:1]) != len(keys) {
		t.Fatalf("got batches %+v, want the %d messages in the first", batches, len(keys))
	}
	paths := allPaths(st.invalidations(t))
	for _, k := range keys {
		if got, want := pathplan.Covers(paths, objectPath(k)), k != refusedKey; got != want {
			t.Errorf("%s covered by %q: got %v, want %v", k, paths, got, want)
		}
	}
	if got := failedMessages(batches[:1]); len(got) != 1 {
		t.Errorf("got failures %q in the first batch, want the refused message alone", got)
	}
	if got, want := st.dlqKeys(t), []string{refusedKey}; !slices.Equal(got, want) {
		t.Errorf("got DLQ keys %q, want %q", got, want)
	}
}
