package secretcache

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/local/testenv"
)

// motoSecret creates secret name with value in m and returns a client and
// its ARN.
func motoSecret(t *testing.T, m *testenv.Moto, name, value string, optFns ...func(*secretsmanager.Options)) (*secretsmanager.Client, string) {
	t.Helper()
	sm := secretsmanager.NewFromConfig(m.Config, optFns...)
	created, err := sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		t.Fatal(err)
	}
	return sm, aws.ToString(created.ARN)
}

// putPending stores value as the AWSPENDING version token, as a rotation's
// createSecret does.
func putPending(t *testing.T, sm *secretsmanager.Client, arn, token, value string) {
	t.Helper()
	if _, err := sm.PutSecretValue(t.Context(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(arn), ClientRequestToken: aws.String(token),
		SecretString: aws.String(value), VersionStages: []string{StagePending},
	}); err != nil {
		t.Fatal(err)
	}
}

// finishRotation moves AWSCURRENT to version token (Secrets Manager moves
// AWSPREVIOUS by itself) and removes its AWSPENDING, as finishSecret does.
func finishRotation(t *testing.T, sm *secretsmanager.Client, arn, token string) {
	t.Helper()
	ctx := context.Background()
	d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil {
		t.Error(err)
		return
	}
	var old string
	for id, stages := range d.VersionIdsToStages {
		for _, st := range stages {
			if st == StageCurrent {
				old = id
			}
		}
	}
	for _, in := range []*secretsmanager.UpdateSecretVersionStageInput{
		{SecretId: aws.String(arn), VersionStage: aws.String(StageCurrent), MoveToVersionId: aws.String(token), RemoveFromVersionId: aws.String(old)},
		{SecretId: aws.String(arn), VersionStage: aws.String(StagePending), RemoveFromVersionId: aws.String(token)},
	} {
		if _, err := sm.UpdateSecretVersionStage(ctx, in); err != nil {
			t.Error(err)
		}
	}
}

// TestAgainstMoto reads a real (moto) secret through a rotation done with
// the calls a rotation function makes. The clock is the test's, started at
// the real time (moto dates versions by it), so the re-read interval and
// the pending window are observed without waiting for them.
func TestAgainstMoto(t *testing.T) {
	testenv.Integration(t)
	m := testenv.StartMoto(t)
	sm, arn := motoSecret(t, m, "origin-verify", "first-value")
	c := &clock{t: time.Now()}
	s := mustLoad(t, sm, arn, c, discard())
	checkMatch(t, "before rotation", s, map[string]bool{"first-value": true, "second-value": false})

	const token = "7b4c7a1e-4f5e-4a43-9d5c-2f1d8d6f0a11"
	putPending(t, sm, arn, token, "second-value")
	checkMatch(t, "pending, within a minute of the last read", s, map[string]bool{"first-value": true, "second-value": false})
	s.wait()
	c.advance(RefreshInterval)
	s.Match(context.Background(), "second-value") // starts the re-read
	s.wait()
	checkMatch(t, "pending, read", s, map[string]bool{"first-value": true, "second-value": true})

	finishRotation(t, sm, arn, token)
	c.advance(RefreshInterval)
	s.Match(context.Background(), "third")
	s.wait()
	checkMatch(t, "finished: current and previous", s, map[string]bool{"first-value": true, "second-value": true, "third": false})
	if got, want := s.Current(context.Background()), "second-value"; got != want {
		t.Errorf("Current() after rotation: got %q, want %q", got, want)
	}

	// A pending version nobody finishes (a rotation that keeps failing, a
	// value someone put): accepted for PendingWindow after its creation.
	putPending(t, sm, arn, "0f3c1d2e-9a8b-4c7d-8e6f-5a4b3c2d1e0f", "stuck-value")
	c.advance(RefreshInterval)
	s.Match(context.Background(), "stuck-value")
	s.wait()
	checkMatch(t, "stuck pending, fresh", s, map[string]bool{"stuck-value": true, "second-value": true})
	c.advance(PendingWindow)
	checkMatch(t, "stuck pending, PendingWindow later", s, map[string]bool{"stuck-value": false, "second-value": true, "first-value": true})
	s.wait()
}

// hookClient runs after, once, on the first answer that arrives while it is
// armed: a read delayed at that point, as a slow network would delay it.
type hookClient struct {
	next  secretsmanager.HTTPClient
	mu    sync.Mutex
	armed bool
	after func()
}

func (h *hookClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := h.next.Do(r)
	h.mu.Lock()
	fire := h.armed && err == nil
	h.armed = false
	h.mu.Unlock()
	if fire {
		h.after()
	}
	return resp, err
}

func (h *hookClient) arm() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.armed = true
}

// TestReadStraddlingFinishSecretAgainstMoto lets a rotation's finishSecret
// happen between the first answer of a re-read and the rest of it. Read
// label by label (AWSCURRENT, then AWSPENDING, then AWSPREVIOUS) the new
// value was in neither place and was refused until the next re-read; read
// as one snapshot, both values are held.
func TestReadStraddlingFinishSecretAgainstMoto(t *testing.T) {
	testenv.Integration(t)
	m := testenv.StartMoto(t)
	plain, arn := motoSecret(t, m, "origin-verify", "old-value")
	hook := &hookClient{next: http.DefaultClient}
	sm := secretsmanager.NewFromConfig(m.Config, func(o *secretsmanager.Options) { o.HTTPClient = hook })
	const token = "5d6e7f80-1a2b-4c3d-9e8f-102132435465"
	hook.after = func() { finishRotation(t, plain, arn, token) }
	c := &clock{t: time.Now()}
	s := mustLoad(t, sm, arn, c, discard())

	putPending(t, plain, arn, token, "new-value")
	c.advance(RefreshInterval)
	hook.arm()
	s.Match(context.Background(), "new-value") // starts the re-read
	s.wait()
	checkMatch(t, "after a re-read across finishSecret", s, map[string]bool{"old-value": true, "new-value": true})
}
