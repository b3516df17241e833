package secretcache

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/local/testenv"
)

// TestAgainstMoto reads a real (moto) secret through a rotation done with
// the calls a rotation function makes: PutSecretValue of an AWSPENDING
// version, then UpdateSecretVersionStage moving AWSCURRENT to it (Secrets
// Manager moves AWSPREVIOUS by itself). The clock is the test's, so the
// one-minute re-read limit is observed without waiting for it.
func TestAgainstMoto(t *testing.T) {
	testenv.Integration(t)
	m := testenv.StartMoto(t)
	sm := secretsmanager.NewFromConfig(m.Config)
	ctx := context.Background()

	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("origin-verify"), SecretString: aws.String("first-value"),
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	c := newClock()
	s, err := load(ctx, sm, arn, discard(), c.now)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	check := func(step string, want map[string]bool) {
		t.Helper()
		for v, w := range want {
			if got, err := s.Match(ctx, v); got != w || err != nil {
				t.Errorf("%s: Match(%q) got %v, %v; want %v", step, v, got, err, w)
			}
		}
	}
	check("before rotation", map[string]bool{"first-value": true, "second-value": false})

	const token = "7b4c7a1e-4f5e-4a43-9d5c-2f1d8d6f0a11"
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(arn), ClientRequestToken: aws.String(token),
		SecretString: aws.String("second-value"), VersionStages: []string{StagePending},
	}); err != nil {
		t.Fatal(err)
	}
	check("pending, within a minute of the last read", map[string]bool{"first-value": true, "second-value": false})
	c.advance(RefreshInterval)
	check("pending, a minute later", map[string]bool{"first-value": true, "second-value": true})

	d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	var old string
	for id, stages := range d.VersionIdsToStages {
		for _, st := range stages {
			if st == StageCurrent {
				old = id
			}
		}
	}
	if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(arn), VersionStage: aws.String(StageCurrent),
		MoveToVersionId: aws.String(token), RemoveFromVersionId: aws.String(old),
	}); err != nil {
		t.Fatal(err)
	}
	c.advance(RefreshInterval)
	check("finished: current and previous", map[string]bool{"first-value": true, "second-value": true, "third": false})
	// The re-read of the Match above refreshed AWSCURRENT too.
	if got, want := s.Current(ctx), "second-value"; got != want {
		t.Errorf("Current() after rotation: got %q, want %q", got, want)
	}
}
