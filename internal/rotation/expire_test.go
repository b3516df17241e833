package rotation

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestSetRetriedPastMaxSetAgeKeepsTheSentValueAccepted: setSecret put the
// pending value on the distribution, a later step failed, and Secrets
// Manager retries the rotation with the same version 25 minutes after its
// creation. setSecret's expire removes AWSPENDING from the version; the
// distribution must not be left sending a value no label holds (which
// hostforward refuses from its next re-read until the minutely check's
// update deploys). (Review of issue 18.)
func TestSetRetriedPastMaxSetAgeKeepsTheSentValueAccepted(t *testing.T) {
	sm, cf := newFakes()
	sm.values[token] = "new"
	sm.createdOf = map[string]time.Time{token: sm.created.Add(-25 * time.Minute)}
	cf.header = aws.String("new") // the first setSecret's work
	r := newStepRun(sm, cf, "App")
	_ = r.h.Handle(context.Background(), events.SecretsManagerSecretRotationEvent{Step: StepSet, SecretID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:origin", ClientRequestToken: token})
	if len(sm.stages[token]) == 0 && aws.ToString(cf.header) == "new" {
		t.Errorf("after the retried setSecret: the distribution sends %q, whose version lost AWSPENDING (stages %v): hostforward refuses every viewer",
			aws.ToString(cf.header), sm.stages[token])
	}
}
