package rotation

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/djfront/djfront/internal/coldstart"
	"github.com/djfront/djfront/internal/secretcache"
)

// The rotation steps, as Secrets Manager names them in the event.
const (
	StepCreate = "createSecret"
	StepSet    = "setSecret"
	StepTest   = "testSecret"
	StepFinish = "finishSecret"
)

// updateAttempts bounds the GetDistributionConfig + UpdateDistribution
// rounds a header write makes when someone else changes the distribution
// between the two calls (PreconditionFailed).
const updateAttempts = 3

// maxSetAge is the oldest a pending version may be when setSecret puts it on
// the distribution. A rotation that goes well gets there within the
// function's 15-minute timeout (setSecret is the only step that waits); an
// older one belongs to a rotation retried much later, which would leave too
// little of secretcache.PendingWindow (1 h) for finishSecret to make it
// current, or for the scheduled check to undo it (revertAfter).
const maxSetAge = 20 * time.Minute

// deployPoll is how often setSecret asks whether the distribution has
// finished deploying a previous change.
const deployPoll = 20 * time.Second

type secretsAPI interface {
	secretcache.API
	DescribeSecret(ctx context.Context, params *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	PutSecretValue(ctx context.Context, params *secretsmanager.PutSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(ctx context.Context, params *secretsmanager.UpdateSecretVersionStageInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

type cloudfrontAPI interface {
	GetDistribution(ctx context.Context, params *cloudfront.GetDistributionInput, optFns ...func(*cloudfront.Options)) (*cloudfront.GetDistributionOutput, error)
	GetDistributionConfig(ctx context.Context, params *cloudfront.GetDistributionConfigInput, optFns ...func(*cloudfront.Options)) (*cloudfront.GetDistributionConfigOutput, error)
	UpdateDistribution(ctx context.Context, params *cloudfront.UpdateDistributionInput, optFns ...func(*cloudfront.Options)) (*cloudfront.UpdateDistributionOutput, error)
}

var (
	_ secretsAPI    = (*secretsmanager.Client)(nil)
	_ cloudfrontAPI = (*cloudfront.Client)(nil)
)

// Handler runs the rotation steps. Build one at cold start with [New].
type Handler struct {
	cfg    Config
	sm     secretsAPI
	cf     cloudfrontAPI
	logger *slog.Logger
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
}

// Build is the function's cold start, run by internal/coldstart for
// functions/rotate and for `djfront __lambda rotate`: ConfigFromEnv through
// env, then the AWS configuration and New's Handle.
func Build(ctx context.Context, env coldstart.Env, logger *slog.Logger) (any, error) {
	cfg, err := ConfigFromEnv(env.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := coldstart.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return New(cfg, awsCfg, logger).Handle, nil
}

// New returns a Handler that reaches Secrets Manager and CloudFront with
// awsCfg (endpoints from the SDK's standard settings, AWS_ENDPOINT_URL
// included) and logs to logger.
func New(cfg Config, awsCfg aws.Config, logger *slog.Logger) *Handler {
	return newHandler(cfg, secretsmanager.NewFromConfig(awsCfg), cloudfront.NewFromConfig(awsCfg), logger)
}

func newHandler(cfg Config, sm secretsAPI, cf cloudfrontAPI, logger *slog.Logger) *Handler {
	return &Handler{cfg: cfg, sm: sm, cf: cf, logger: logger, now: time.Now, sleep: sleepCtx}
}

// StepError is the error a failed step returns to Lambda (its errorType).
type StepError struct {
	Step     string
	SecretID string
	Err      error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("rotation %s of %s: %v", e.Step, e.SecretID, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Handle runs the step ev names (a rotation step, or [StepCheck]) and logs
// one line about it. The error, a *StepError, makes Secrets Manager retry
// the step and, after its retries, mark the rotation failed; AWSCURRENT then
// stays where it was.
func (h *Handler) Handle(ctx context.Context, ev events.SecretsManagerSecretRotationEvent) error {
	start := time.Now()
	level := slog.LevelInfo
	var outcome string
	var err error
	if ev.Step == StepCheck {
		outcome, level, err = h.check(ctx, ev.SecretID)
	} else {
		outcome, err = h.step(ctx, ev)
	}
	attrs := []slog.Attr{
		slog.String("step", ev.Step),
		slog.String("secret_id", ev.SecretID),
	}
	if ev.ClientRequestToken != "" {
		attrs = append(attrs, slog.String("version_id", ev.ClientRequestToken))
	}
	attrs = append(attrs, slog.Int64("duration_ms", time.Since(start).Milliseconds()))
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("request_id", lc.AwsRequestID))
	}
	if err != nil {
		err = &StepError{Step: ev.Step, SecretID: ev.SecretID, Err: err}
		h.logger.LogAttrs(ctx, slog.LevelError, "rotation", append(attrs, slog.String("error", err.Error()))...)
		return err
	}
	h.logger.LogAttrs(ctx, level, "rotation", append(attrs, slog.String("outcome", outcome))...)
	return nil
}

// step checks the version the event names, as every rotation function must,
// and runs the step; it returns what it did, for the log.
func (h *Handler) step(ctx context.Context, ev events.SecretsManagerSecretRotationEvent) (string, error) {
	if !slices.Contains([]string{StepCreate, StepSet, StepTest, StepFinish}, ev.Step) {
		return "", fmt.Errorf("unknown step %q (want %s, %s, %s or %s)", ev.Step, StepCreate, StepSet, StepTest, StepFinish)
	}
	if ev.SecretID == "" || ev.ClientRequestToken == "" {
		return "", errors.New("the event has no SecretId or ClientRequestToken")
	}
	d, err := h.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ev.SecretID)})
	if err != nil {
		return "", fmt.Errorf("describe secret: %w", err)
	}
	if !aws.ToBool(d.RotationEnabled) {
		return "", errors.New("rotation is not enabled on the secret")
	}
	stages, ok := d.VersionIdsToStages[ev.ClientRequestToken]
	switch {
	case !ok:
		return "", fmt.Errorf("version %s is not a version of the secret", ev.ClientRequestToken)
	case slices.Contains(stages, secretcache.StageCurrent):
		return "version already AWSCURRENT", nil
	case !slices.Contains(stages, secretcache.StagePending):
		return "", fmt.Errorf("version %s is not AWSPENDING (stages %v)", ev.ClientRequestToken, stages)
	}
	switch ev.Step {
	case StepCreate:
		return h.create(ctx, ev)
	case StepSet:
		return h.set(ctx, ev, d.VersionIdsToStages)
	case StepTest:
		return h.test(ctx, ev)
	default:
		return h.finish(ctx, ev, d.VersionIdsToStages)
	}
}

// create stores a new random value as the AWSPENDING version, unless it
// already has one.
func (h *Handler) create(ctx context.Context, ev events.SecretsManagerSecretRotationEvent) (string, error) {
	if _, err := h.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(ev.SecretID), VersionStage: aws.String(secretcache.StageCurrent),
	}); err != nil {
		return "", fmt.Errorf("read the current value: %w", err)
	}
	_, err := h.pending(ctx, ev)
	var nf *smtypes.ResourceNotFoundException
	switch {
	case err == nil:
		return "pending value already stored", nil
	case !errors.As(err, &nf):
		return "", err
	}
	if _, err := h.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(ev.SecretID),
		ClientRequestToken: aws.String(ev.ClientRequestToken),
		SecretString:       aws.String(newValue()),
		VersionStages:      []string{secretcache.StagePending},
	}); err != nil {
		return "", fmt.Errorf("store the pending value: %w", err)
	}
	return "pending value stored", nil
}

// newValue returns 52 random characters (256 bits) from [A-Z2-7]: fine in
// a header, and far below CloudFront's 1,783-character limit.
func newValue() string { return rand.Text() + rand.Text() }

// pending reads the AWSPENDING version the event names.
func (h *Handler) pending(ctx context.Context, ev events.SecretsManagerSecretRotationEvent) (*secretsmanager.GetSecretValueOutput, error) {
	out, err := h.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId:     aws.String(ev.SecretID),
		VersionId:    aws.String(ev.ClientRequestToken),
		VersionStage: aws.String(secretcache.StagePending),
	})
	if err != nil {
		return nil, fmt.Errorf("read the pending value: %w", err)
	}
	if aws.ToString(out.SecretString) == "" {
		return nil, errors.New("the pending version has no string value")
	}
	return out, nil
}

// set waits until the pending version is Settle old and, when a version is
// AWSPREVIOUS, until the distribution has deployed its last change; then it
// puts the pending value on the distribution's X-Origin-Verify origin header.
// A pending version maxSetAge old is not put there (see expire).
func (h *Handler) set(ctx context.Context, ev events.SecretsManagerSecretRotationEvent, versions map[string][]string) (string, error) {
	p, err := h.pending(ctx, ev)
	if err != nil {
		return "", err
	}
	if p.CreatedDate == nil {
		return "", errors.New("the pending version has no creation date, so hostforward would not accept it")
	}
	created, value := *p.CreatedDate, aws.ToString(p.SecretString)
	if err := h.expire(ctx, ev, created, value); err != nil {
		return "", err
	}
	if wait := created.Add(h.cfg.Settle).Sub(h.now()); wait > 0 {
		if err := h.sleep(ctx, wait); err != nil {
			return "", fmt.Errorf("wait %s for hostforward to know the new value: %w", wait.Round(time.Second), err)
		}
	}
	if hasStage(versions, secretcache.StagePrevious) {
		if err := h.awaitDeployed(ctx); err != nil {
			return "", err
		}
	}
	if err := h.expire(ctx, ev, created, value); err != nil {
		return "", err
	}
	return h.writeHeader(ctx, func(context.Context, string) (string, string, error) { return value, "pending value", nil })
}

// expire refuses a pending version created maxSetAge or longer ago, and
// returns why: it removes the version's AWSPENDING, so the rotation Secrets
// Manager keeps retrying with it stops and the next one starts over with a
// new value. An earlier try of this setSecret may already have put the
// pending value on the distribution, and hostforward accepts it only while
// it is labelled; so expire first puts AWSCURRENT back where the
// distribution sends value and waits until the distribution is deployed (no
// edge sends value any more), and only then removes the label. If it cannot
// (the deployment outlasts the function), the label stays: the retried
// step, or the scheduled check (revertAfter), finishes the job well within
// secretcache.PendingWindow, while hostforward keeps accepting the value.
func (h *Handler) expire(ctx context.Context, ev events.SecretsManagerSecretRotationEvent, created time.Time, value string) error {
	age := h.now().Sub(created)
	if age < maxSetAge {
		return nil
	}
	why := fmt.Sprintf("the pending version is %s old, past the %s setSecret allows (hostforward accepts a pending value for %s)",
		age.Round(time.Second), maxSetAge, secretcache.PendingWindow)
	if err := h.withdraw(ctx, ev.SecretID, value); err != nil {
		return fmt.Errorf("%s; AWSPENDING kept while the distribution may send it: %w", why, err)
	}
	if _, err := h.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:            aws.String(ev.SecretID),
		VersionStage:        aws.String(secretcache.StagePending),
		RemoveFromVersionId: aws.String(ev.ClientRequestToken),
	}); err != nil {
		return fmt.Errorf("%s; remove its AWSPENDING: %w", why, err)
	}
	return errors.New(why + ": AWSPENDING removed from it, the next rotation starts over")
}

// withdraw puts the secret's AWSCURRENT value on the rotated header where
// the distribution sends value, then returns once the distribution is
// deployed.
func (h *Handler) withdraw(ctx context.Context, secretID, value string) error {
	_, err := h.writeHeader(ctx, func(ctx context.Context, current string) (string, string, error) {
		if current != value {
			return "", "", nil
		}
		vs, err := secretcache.ReadVersions(ctx, h.sm, secretID)
		if err != nil {
			return "", "", err
		}
		return vs.Current(), "AWSCURRENT, replacing the expired pending value", nil
	})
	if err != nil {
		return err
	}
	return h.awaitDeployed(ctx)
}

// awaitDeployed returns once the distribution's status is Deployed. This
// rotation's finishSecret stops accepting the AWSPREVIOUS value; while an
// earlier change (the last rotation's, run minutes ago) is still deploying,
// some edges may be sending exactly that value. (With no AWSPREVIOUS, as in
// the first rotation while a new stack's distribution deploys, nothing
// stops being accepted and set does not wait.)
func (h *Handler) awaitDeployed(ctx context.Context) error {
	for {
		d, err := h.cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(h.cfg.DistributionID)})
		if err != nil {
			return fmt.Errorf("get distribution %s: %w", h.cfg.DistributionID, err)
		}
		status := ""
		if d.Distribution != nil {
			status = aws.ToString(d.Distribution.Status)
		}
		if status == "Deployed" {
			return nil
		}
		if dl, ok := ctx.Deadline(); ok && dl.Sub(h.now()) < 2*deployPoll {
			// Fail with a logged StepError rather than be cut off by the
			// function's timeout; Secrets Manager retries the rotation.
			return fmt.Errorf("distribution %s is still deploying a previous change (status %q); giving up before the function's timeout", h.cfg.DistributionID, status)
		}
		if err := h.sleep(ctx, deployPoll); err != nil {
			return fmt.Errorf("distribution %s is still deploying a previous change (status %q): %w", h.cfg.DistributionID, status, err)
		}
	}
}

// test checks that the distribution's configuration holds the pending value
// on the rotated X-Origin-Verify header.
func (h *Handler) test(ctx context.Context, ev events.SecretsManagerSecretRotationEvent) (string, error) {
	p, err := h.pending(ctx, ev)
	if err != nil {
		return "", err
	}
	got, err := h.cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(h.cfg.DistributionID)})
	if err != nil {
		return "", fmt.Errorf("get distribution %s config: %w", h.cfg.DistributionID, err)
	}
	differ, err := setHeader(got.DistributionConfig, h.cfg.OriginID, aws.ToString(p.SecretString))
	switch {
	case err != nil:
		return "", fmt.Errorf("distribution %s: %w", h.cfg.DistributionID, err)
	case differ > 0:
		return "", fmt.Errorf("distribution %s: %d %s header(s) do not carry the pending value", h.cfg.DistributionID, differ, HeaderName)
	}
	return "distribution sends the pending value", nil
}

func hasStage(versions map[string][]string, stage string) bool {
	for _, stages := range versions {
		if slices.Contains(stages, stage) {
			return true
		}
	}
	return false
}

// finish moves AWSCURRENT to the event's version.
func (h *Handler) finish(ctx context.Context, ev events.SecretsManagerSecretRotationEvent, versions map[string][]string) (string, error) {
	var current string
	for id, stages := range versions {
		if slices.Contains(stages, secretcache.StageCurrent) {
			current = id
		}
	}
	if _, err := h.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:            aws.String(ev.SecretID),
		VersionStage:        aws.String(secretcache.StageCurrent),
		MoveToVersionId:     aws.String(ev.ClientRequestToken),
		RemoveFromVersionId: aws.String(current),
	}); err != nil {
		return "", fmt.Errorf("move AWSCURRENT from %s: %w", current, err)
	}
	// Secrets Manager accepts AWSPENDING left on the new current version,
	// but nothing needs it there, and a label left behind makes some
	// implementations (moto) refuse the next rotation as "in progress".
	if _, err := h.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:            aws.String(ev.SecretID),
		VersionStage:        aws.String(secretcache.StagePending),
		RemoveFromVersionId: aws.String(ev.ClientRequestToken),
	}); err != nil {
		return "", fmt.Errorf("remove AWSPENDING from %s: %w", ev.ClientRequestToken, err)
	}
	return "AWSCURRENT moved from " + current, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
