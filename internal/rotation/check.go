package rotation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/djfront/djfront/internal/secretcache"
)

// StepCheck is the step of the scheduled check, which Secrets Manager never
// sends: the template's schedule invokes the function every minute with
// {"Step": "checkOriginHeader", "SecretId": "<the secret's ARN>"}.
const StepCheck = "checkOriginHeader"

// revertAfter is how old a pending version may be before the check treats a
// distribution that sends it as left there by a failed rotation and puts
// AWSCURRENT back: 10 minutes past maxSetAge, for testSecret and
// finishSecret (seconds each) and their retries, and 30 minutes before
// hostforward stops accepting it (secretcache.PendingWindow), for the
// check's schedule (a minute) and CloudFront's deployment (minutes).
const revertAfter = 30 * time.Minute

// check compares the value the distribution sends on the rotated header
// with the secret, and puts AWSCURRENT there unless it is already or a
// rotation is under way (the header carries a pending value younger than
// revertAfter). It catches what would otherwise refuse viewers: a stack
// update that put the creation-time value back (CloudFormation resolves the
// template's {{resolve:secretsmanager}} reference only when its text
// changes), a failed rotation that left the pending value there, a value
// someone set by hand. The secret is read after the distribution's
// configuration, so a value a rotation has just set is already a version of
// it; the update is guarded by the ETag read with the configuration. The
// level is Warn when the header was changed.
func (h *Handler) check(ctx context.Context, secretID string) (string, slog.Level, error) {
	if secretID == "" {
		return "", slog.LevelInfo, errors.New("the event has no SecretId")
	}
	reset := false
	outcome, err := h.writeHeader(ctx, func(ctx context.Context, current string) (string, string, error) {
		vs, err := secretcache.ReadVersions(ctx, h.sm, secretID)
		if err != nil {
			return "", "", err
		}
		v, found := vs.Find(current)
		switch {
		case found && v.Has(secretcache.StageCurrent):
			return "", "distribution sends AWSCURRENT", nil
		case found && v.Has(secretcache.StagePending) && h.now().Sub(v.Created) < revertAfter:
			return "", "rotation under way: distribution sends AWSPENDING", nil
		}
		reset = true
		return vs.Current(), "AWSCURRENT, replacing " + describe(v, found, h.now()), nil
	})
	if reset && err == nil {
		return outcome, slog.LevelWarn, nil
	}
	return outcome, slog.LevelInfo, err
}

// describe says what the replaced header value was, never the value.
func describe(v secretcache.Version, found bool, now time.Time) string {
	switch {
	case !found:
		return "a value no version of the secret has (the stack's creation-time value, after a stack update?)"
	case v.Has(secretcache.StagePending):
		return fmt.Sprintf("the AWSPENDING value of a rotation that did not finish (created %s ago)", now.Sub(v.Created).Round(time.Second))
	default:
		return "the " + strings.Join(v.Stages, ", ") + " value"
	}
}
