package rotation

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
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
// rounds setSecret makes when someone else changes the distribution between
// the two calls (PreconditionFailed).
const updateAttempts = 3

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

// Handle runs the step ev names and logs one line about it. The error, a
// *StepError, makes Secrets Manager retry the step and, after its retries,
// mark the rotation failed; AWSCURRENT then stays where it was.
func (h *Handler) Handle(ctx context.Context, ev events.SecretsManagerSecretRotationEvent) error {
	start := time.Now()
	outcome, err := h.step(ctx, ev)
	attrs := []slog.Attr{
		slog.String("step", ev.Step),
		slog.String("secret_id", ev.SecretID),
		slog.String("version_id", ev.ClientRequestToken),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()),
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("request_id", lc.AwsRequestID))
	}
	if err != nil {
		err = &StepError{Step: ev.Step, SecretID: ev.SecretID, Err: err}
		h.logger.LogAttrs(ctx, slog.LevelError, "rotation", append(attrs, slog.String("error", err.Error()))...)
		return err
	}
	h.logger.LogAttrs(ctx, slog.LevelInfo, "rotation", append(attrs, slog.String("outcome", outcome))...)
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
func (h *Handler) set(ctx context.Context, ev events.SecretsManagerSecretRotationEvent, versions map[string][]string) (string, error) {
	p, err := h.pending(ctx, ev)
	if err != nil {
		return "", err
	}
	if p.CreatedDate != nil {
		if wait := p.CreatedDate.Add(h.cfg.Settle).Sub(h.now()); wait > 0 {
			if err := h.sleep(ctx, wait); err != nil {
				return "", fmt.Errorf("wait %s for hostforward to know the new value: %w", wait.Round(time.Second), err)
			}
		}
	}
	if hasStage(versions, secretcache.StagePrevious) {
		if err := h.awaitDeployed(ctx); err != nil {
			return "", err
		}
	}
	value := aws.ToString(p.SecretString)
	for attempt := 1; ; attempt++ {
		got, err := h.cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(h.cfg.DistributionID)})
		if err != nil {
			return "", fmt.Errorf("get distribution %s config: %w", h.cfg.DistributionID, err)
		}
		changed, err := setHeader(got.DistributionConfig, h.cfg.OriginID, value)
		if err != nil {
			return "", fmt.Errorf("distribution %s: %w", h.cfg.DistributionID, err)
		}
		if changed == 0 {
			return "distribution already sends the pending value", nil
		}
		_, err = h.cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{
			Id:                 aws.String(h.cfg.DistributionID),
			IfMatch:            got.ETag,
			DistributionConfig: got.DistributionConfig,
		})
		var stale *cftypes.PreconditionFailed
		switch {
		case err == nil:
			return fmt.Sprintf("distribution updated (%d origin header(s), attempt %d)", changed, attempt), nil
		case errors.As(err, &stale) && attempt < updateAttempts:
			continue // changed by someone else since GetDistributionConfig: read it again
		default:
			return "", fmt.Errorf("update distribution %s: %w", h.cfg.DistributionID, err)
		}
	}
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

// setHeader sets value on the X-Origin-Verify header of the origin
// originID names (with originID empty, the one origin that has the header)
// and returns how many headers it changed. Other origins and other headers
// are left alone. A distribution with no such origin header is an error:
// the rotation would change nothing that protects the API.
func setHeader(cfg *cftypes.DistributionConfig, originID, value string) (int, error) {
	var found []*cftypes.OriginCustomHeader
	var ids []string // of the origins that have the header
	origins := originsOf(cfg)
	for i := range origins {
		o := &origins[i]
		if o.CustomHeaders == nil || (originID != "" && aws.ToString(o.Id) != originID) {
			continue
		}
		before := len(found)
		for j := range o.CustomHeaders.Items {
			if hd := &o.CustomHeaders.Items[j]; strings.EqualFold(aws.ToString(hd.HeaderName), HeaderName) {
				found = append(found, hd)
			}
		}
		if len(found) > before {
			ids = append(ids, aws.ToString(o.Id))
		}
	}
	switch {
	case len(found) == 0 && originID != "":
		return 0, fmt.Errorf("origin %q has no %s custom header", originID, HeaderName)
	case len(found) == 0:
		return 0, fmt.Errorf("no origin has a %s custom header", HeaderName)
	case len(ids) > 1:
		return 0, fmt.Errorf("origins %s all have a %s custom header: set ORIGIN_ID to the HTTP API's", strings.Join(ids, ", "), HeaderName)
	}
	changed := 0
	for _, hd := range found {
		if aws.ToString(hd.HeaderValue) != value {
			hd.HeaderValue = aws.String(value)
			changed++
		}
	}
	return changed, nil
}

func originsOf(cfg *cftypes.DistributionConfig) []cftypes.Origin {
	if cfg == nil || cfg.Origins == nil {
		return nil
	}
	return cfg.Origins.Items
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
