package rotation

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/djfront/djfront/internal/secretcache"
)

// The values of checkFakes' versions, distinct from every word a log line
// may hold: none of them may appear in one.
const (
	currentValue  = "CURRENTVALUEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	pendingValue  = "PENDINGVALUEBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	previousValue = "PREVIOUSVALUECCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
	stackValue    = "STACKCREATIONVALUEDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"
)

// checkFakes is a secret in mid-rotation (current, previous, and a pending
// version pendingAge old at the handler's clock) and a distribution whose
// App origin sends header.
func checkFakes(header string, pendingAge time.Duration) (*fakeSM, *fakeCF) {
	sm, cf := newFakes()
	sm.stages["older-version"] = []string{"AWSPREVIOUS"}
	sm.values = map[string]string{"old-version": currentValue, token: pendingValue, "older-version": previousValue}
	// newStepRun's clock starts 15 s after sm.created.
	sm.createdOf = map[string]time.Time{token: sm.created.Add(15*time.Second - pendingAge)}
	cf.header = aws.String(header)
	return sm, cf
}

// TestCheck runs the scheduled check of the distribution's header against
// the secret: it leaves AWSCURRENT and a rotation under way alone, and puts
// AWSCURRENT back over anything else — the value a stack update restored,
// a failed rotation's pending value, the previous value — logging a warning
// that says what it replaced, never a value.
func TestCheck(t *testing.T) {
	tests := []struct {
		name       string
		header     string
		pendingAge time.Duration
		secretID   string // "" for the default, "-" for none
		noHeader   bool
		wantHeader string
		wantLog    []string // each in the log
		wantErr    string
	}{
		{name: "in step", header: currentValue, wantHeader: currentValue,
			wantLog: []string{`"level":"INFO","msg":"rotation","step":"checkOriginHeader","secret_id":"origin","duration_ms":`, `"outcome":"distribution sends AWSCURRENT"`}},
		{name: "rotation under way", header: pendingValue, pendingAge: revertAfter - time.Second, wantHeader: pendingValue,
			wantLog: []string{`"level":"INFO"`, `"outcome":"rotation under way: distribution sends AWSPENDING"`}},
		{name: "a stack update put the creation-time value back", header: stackValue, wantHeader: currentValue,
			wantLog: []string{`"level":"WARN"`, `"outcome":"distribution updated to the AWSCURRENT, replacing a value no version of the secret has (the stack's creation-time value, after a stack update?) (1 origin header(s), attempt 1)"`}},
		{name: "a failed rotation left its pending value", header: pendingValue, pendingAge: revertAfter, wantHeader: currentValue,
			wantLog: []string{`"level":"WARN"`, `"outcome":"distribution updated to the AWSCURRENT, replacing the AWSPENDING value of a rotation that did not finish (created 30m0s ago)`}},
		{name: "previous value", header: previousValue, wantHeader: currentValue,
			wantLog: []string{`"level":"WARN"`, `replacing the AWSPREVIOUS value`}},
		{name: "no SecretId", secretID: "-", header: stackValue, wantHeader: stackValue, wantErr: "rotation checkOriginHeader of : the event has no SecretId"},
		{name: "no header to check", noHeader: true, wantErr: `rotation checkOriginHeader of origin: distribution E2EXAMPLE: origin "App" has no X-Origin-Verify custom header`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm, cf := checkFakes(tt.header, tt.pendingAge)
			if tt.noHeader {
				cf.header = nil
			}
			r := newStepRun(sm, cf, "App")
			id := map[string]string{"": "origin", "-": ""}[tt.secretID]
			err := r.h.Handle(context.Background(), events.SecretsManagerSecretRotationEvent{Step: StepCheck, SecretID: id})
			var se *StepError
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &se) {
					t.Fatalf("got error %v, want a *StepError %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("got error %v", err)
			}
			if got := aws.ToString(cf.header); !tt.noHeader && got != tt.wantHeader {
				t.Errorf("header: got %.20s…, want %.20s…", got, tt.wantHeader)
			}
			logs := r.logs.String()
			for _, want := range tt.wantLog {
				if !strings.Contains(logs, want) {
					t.Errorf("log:\n%s\nwant it to contain %s", logs, want)
				}
			}
			for _, v := range []string{currentValue, pendingValue, previousValue, stackValue} {
				if strings.Contains(logs, v[:12]) {
					t.Errorf("log shows a value (%.12s…):\n%s", v, logs)
				}
			}
		})
	}
}

// TestTimings checks the order the rotation's bounds rely on: setSecret
// stops before the check would undo it, and the check puts AWSCURRENT back
// well before hostforward stops accepting the pending value.
func TestTimings(t *testing.T) {
	const (
		functionTimeout = 15 * time.Minute // template.yaml, RotateFunction
		checkEvery      = time.Minute      // template.yaml, the schedule
		deploy          = 15 * time.Minute // a slow CloudFront deployment
	)
	if !(functionTimeout < maxSetAge && maxSetAge < revertAfter && revertAfter+checkEvery+deploy < secretcache.PendingWindow) {
		t.Errorf("want the function's timeout (%s) < maxSetAge (%s) < revertAfter (%s), and revertAfter + %s + %s < PendingWindow (%s)",
			functionTimeout, maxSetAge, revertAfter, checkEvery, deploy, secretcache.PendingWindow)
	}
	if DefaultSettle < secretcache.RefreshInterval {
		t.Errorf("DefaultSettle %s < secretcache.RefreshInterval %s: an active hostforward may not know the value before CloudFront sends it", DefaultSettle, secretcache.RefreshInterval)
	}
}
