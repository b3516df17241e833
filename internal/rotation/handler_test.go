package rotation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/djfront/djfront/sam/fixtures"
)

const token = "new-version"

// fakeSM holds one secret: versions by id with their stages, values and
// creation times (created when createdOf has none).
type fakeSM struct {
	enabled   bool
	stages    map[string][]string
	values    map[string]string
	created   time.Time
	createdOf map[string]time.Time
	puts      int
}

func (f *fakeSM) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return &secretsmanager.DescribeSecretOutput{RotationEnabled: aws.Bool(f.enabled), VersionIdsToStages: f.stages}, nil
}

func (f *fakeSM) ListSecretVersionIds(context.Context, *secretsmanager.ListSecretVersionIdsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
	out := &secretsmanager.ListSecretVersionIdsOutput{}
	for _, id := range slices.Sorted(maps.Keys(f.stages)) {
		out.Versions = append(out.Versions, smtypes.SecretVersionsListEntry{VersionId: aws.String(id), VersionStages: f.stages[id]})
	}
	return out, nil
}

// GetSecretValue finds the version by id, stage or both, as Secrets Manager does.
func (f *fakeSM) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	for id, stages := range f.stages {
		if (in.VersionId == nil || *in.VersionId == id) && (in.VersionStage == nil || slices.Contains(stages, *in.VersionStage)) {
			if v, ok := f.values[id]; ok {
				created, ok := f.createdOf[id]
				if !ok {
					created = f.created
				}
				out := &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}
				if !created.IsZero() {
					out.CreatedDate = aws.Time(created)
				}
				return out, nil
			}
		}
	}
	return nil, &smtypes.ResourceNotFoundException{Message: aws.String("no value")}
}

func (f *fakeSM) PutSecretValue(_ context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	f.puts++
	f.values[*in.ClientRequestToken] = *in.SecretString
	return &secretsmanager.PutSecretValueOutput{}, nil
}

func (f *fakeSM) UpdateSecretVersionStage(_ context.Context, in *secretsmanager.UpdateSecretVersionStageInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error) {
	stage := *in.VersionStage
	if from := aws.ToString(in.RemoveFromVersionId); from != "" {
		f.stages[from] = slices.DeleteFunc(f.stages[from], func(s string) bool { return s == stage })
		if stage == "AWSCURRENT" {
			f.stages[from] = append(f.stages[from], "AWSPREVIOUS")
		}
	}
	if to := aws.ToString(in.MoveToVersionId); to != "" {
		f.stages[to] = append(f.stages[to], stage)
	}
	return &secretsmanager.UpdateSecretVersionStageOutput{}, nil
}

// fakeCF is one distribution; stale makes the next n updates fail with
// PreconditionFailed, as CloudFront does when the ETag is out of date.
type fakeCF struct {
	header    *string // nil: no X-Origin-Verify origin header
	etag      int
	stale     int
	updates   []string // IfMatch of each accepted update
	partner   *string  // non-nil: a third origin, Partner, with its own X-Origin-Verify
	deploying int      // GetDistribution answers InProgress this many more times
	gets      int      // GetDistribution calls
}

func (f *fakeCF) GetDistribution(context.Context, *cloudfront.GetDistributionInput, ...func(*cloudfront.Options)) (*cloudfront.GetDistributionOutput, error) {
	f.gets++
	status := "Deployed"
	if f.deploying > 0 {
		f.deploying--
		status = "InProgress"
	}
	return &cloudfront.GetDistributionOutput{Distribution: &cftypes.Distribution{Status: aws.String(status)}}, nil
}

func (f *fakeCF) GetDistributionConfig(context.Context, *cloudfront.GetDistributionConfigInput, ...func(*cloudfront.Options)) (*cloudfront.GetDistributionConfigOutput, error) {
	app := cftypes.Origin{Id: aws.String("App")}
	if f.header != nil {
		app.CustomHeaders = &cftypes.CustomHeaders{Quantity: aws.Int32(1), Items: []cftypes.OriginCustomHeader{
			{HeaderName: aws.String("x-origin-verify"), HeaderValue: aws.String(*f.header)}}}
	}
	origins := []cftypes.Origin{{Id: aws.String("Assets")}, app}
	if f.partner != nil {
		origins = append(origins, cftypes.Origin{Id: aws.String("Partner"), CustomHeaders: &cftypes.CustomHeaders{Quantity: aws.Int32(1),
			Items: []cftypes.OriginCustomHeader{{HeaderName: aws.String("X-Origin-Verify"), HeaderValue: aws.String(*f.partner)}}}})
	}
	return &cloudfront.GetDistributionConfigOutput{
		ETag:               aws.String("E" + strings.Repeat("1", f.etag+1)),
		DistributionConfig: &cftypes.DistributionConfig{Origins: &cftypes.Origins{Items: origins}},
	}, nil
}

func (f *fakeCF) UpdateDistribution(_ context.Context, in *cloudfront.UpdateDistributionInput, _ ...func(*cloudfront.Options)) (*cloudfront.UpdateDistributionOutput, error) {
	if f.stale > 0 {
		f.stale--
		f.etag++
		return nil, &cftypes.PreconditionFailed{Message: aws.String("stale ETag")}
	}
	f.updates = append(f.updates, *in.IfMatch)
	items := in.DistributionConfig.Origins.Items
	f.header = items[1].CustomHeaders.Items[0].HeaderValue
	if len(items) > 2 {
		f.partner = items[2].CustomHeaders.Items[0].HeaderValue
	}
	f.etag++
	return &cloudfront.UpdateDistributionOutput{}, nil
}

func newFakes() (*fakeSM, *fakeCF) {
	return &fakeSM{
			enabled: true,
			stages:  map[string][]string{"old-version": {"AWSCURRENT"}, token: {"AWSPENDING"}},
			values:  map[string]string{"old-version": "old"},
			created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		&fakeCF{header: aws.String("old")}
}

// checkExpired checks that setSecret removed AWSPENDING from the event's
// version and left the distribution alone.
func checkExpired(t *testing.T, sm *fakeSM, cf *fakeCF, _ time.Duration) {
	t.Helper()
	if got := sm.stages[token]; len(got) != 0 {
		t.Errorf("expired version's stages: got %v, want none", got)
	}
	if len(cf.updates) != 0 || aws.ToString(cf.header) != "old" {
		t.Errorf("distribution: updates %v, header %q; want none, %q", cf.updates, aws.ToString(cf.header), "old")
	}
}

func TestSteps(t *testing.T) {
	tests := []struct {
		name   string
		step   string
		origin string // Config.OriginID
		// deadline: the step's context ends this long after the step
		// starts, the version long settled (none when zero)
		deadline time.Duration
		setup    func(*fakeSM, *fakeCF)
		wantErr  string
		check    func(t *testing.T, sm *fakeSM, cf *fakeCF, slept time.Duration)
	}{
		{name: "unknown step", step: "dropSecret", wantErr: `unknown step "dropSecret"`},
		{name: "rotation disabled", step: StepCreate, setup: func(sm *fakeSM, _ *fakeCF) { sm.enabled = false },
			wantErr: "rotation is not enabled"},
		{name: "token not a version", step: StepCreate, setup: func(sm *fakeSM, _ *fakeCF) { delete(sm.stages, token) },
			wantErr: "version new-version is not a version of the secret"},
		{name: "token not pending", step: StepSet, setup: func(sm *fakeSM, _ *fakeCF) { sm.stages[token] = nil },
			wantErr: "is not AWSPENDING"},
		{name: "already current: nothing done", step: StepFinish,
			setup: func(sm *fakeSM, _ *fakeCF) { sm.stages[token] = []string{"AWSCURRENT"} },
			check: func(t *testing.T, sm *fakeSM, _ *fakeCF, _ time.Duration) {
				if got := sm.stages["old-version"]; !slices.Equal(got, []string{"AWSCURRENT"}) {
					t.Errorf("old version stages: got %v, want unchanged", got)
				}
			}},
		{name: "create stores a random value", step: StepCreate,
			check: func(t *testing.T, sm *fakeSM, _ *fakeCF, _ time.Duration) {
				if v := sm.values[token]; len(v) != 52 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
					t.Errorf("pending value: got %q, want 52 base32 characters", v)
				}
			}},
		{name: "create with a pending value: kept", step: StepCreate,
			setup: func(sm *fakeSM, _ *fakeCF) { sm.values[token] = "already" },
			check: func(t *testing.T, sm *fakeSM, _ *fakeCF, _ time.Duration) {
				if sm.puts != 0 || sm.values[token] != "already" {
					t.Errorf("got %d puts, value %q; want none, %q", sm.puts, sm.values[token], "already")
				}
			}},
		{name: "set waits for the settle time, then updates under the ETag", step: StepSet,
			setup: func(sm *fakeSM, _ *fakeCF) { sm.values[token] = "new" },
			check: func(t *testing.T, _ *fakeSM, cf *fakeCF, slept time.Duration) {
				if slept != 45*time.Second {
					t.Errorf("slept %s, want 45s (settle 1m, version 15s old)", slept)
				}
				if got := aws.ToString(cf.header); got != "new" || !slices.Equal(cf.updates, []string{"E1"}) {
					t.Errorf("header %q, updates with IfMatch %v; want %q, [E1]", got, cf.updates, "new")
				}
			}},
		// A rotation right after another (aws secretsmanager rotate-secret
		// twice): edges may still send the value before the last one, which
		// this rotation's finish stops accepting. set waits for the last
		// change to be deployed everywhere first.
		{name: "set waits while the distribution deploys a previous change", step: StepSet,
			setup: func(sm *fakeSM, cf *fakeCF) {
				sm.values[token] = "new"
				sm.stages["older-version"] = []string{"AWSPREVIOUS"}
				cf.deploying = 2
			},
			check: func(t *testing.T, _ *fakeSM, cf *fakeCF, slept time.Duration) {
				if want := 45*time.Second + 2*deployPoll; slept != want || cf.gets != 3 {
					t.Errorf("slept %s over %d GetDistribution calls, want %s over 3", slept, cf.gets, want)
				}
				if got := aws.ToString(cf.header); got != "new" || len(cf.updates) != 1 {
					t.Errorf("header %q, updates %v; want %q, one update", got, cf.updates, "new")
				}
			}},
		{name: "set gives up on a deployment before the function's timeout", step: StepSet, deadline: 30 * time.Second,
			setup: func(sm *fakeSM, cf *fakeCF) {
				sm.created = time.Now().Add(-2 * time.Minute) // settled
				sm.values[token] = "new"
				sm.stages["older-version"] = []string{"AWSPREVIOUS"}
				cf.deploying = 100
			},
			wantErr: `still deploying a previous change (status "InProgress"); giving up before the function's timeout`},
		// A pending version is accepted by hostforward for an hour after its
		// creation: setSecret does not put an old one on the distribution,
		// and unlabels it so that the next rotation starts over.
		{name: "set refuses a pending version past maxSetAge", step: StepSet,
			setup: func(sm *fakeSM, _ *fakeCF) {
				sm.values[token] = "new"
				sm.createdOf = map[string]time.Time{token: sm.created.Add(-maxSetAge)}
			},
			wantErr: "the pending version is 20m15s old, past the 20m0s setSecret allows (hostforward accepts a pending value for 1h0m0s): AWSPENDING removed from it",
			check:   checkExpired},
		{name: "set refuses a pending version the deployment wait made too old", step: StepSet,
			setup: func(sm *fakeSM, cf *fakeCF) {
				sm.values[token] = "new"
				sm.stages["older-version"] = []string{"AWSPREVIOUS"}
				cf.deploying = 60 // 20 minutes of polls
			},
			wantErr: "the pending version is 21m0s old, past the 20m0s setSecret allows", check: checkExpired},
		// A retried setSecret whose first try put the value on the
		// distribution (expire_test.go): AWSCURRENT goes back there and is
		// deployed before the label goes, so no edge sends an unlabelled value.
		{name: "set past maxSetAge, the distribution sending it: AWSCURRENT back, deployed, then unlabelled", step: StepSet,
			setup: func(sm *fakeSM, cf *fakeCF) {
				sm.values[token] = "new"
				sm.createdOf = map[string]time.Time{token: sm.created.Add(-25 * time.Minute)}
				cf.header, cf.deploying = aws.String("new"), 2
			},
			wantErr: "AWSPENDING removed from it",
			check: func(t *testing.T, sm *fakeSM, cf *fakeCF, _ time.Duration) {
				if got := sm.stages[token]; len(got) != 0 {
					t.Errorf("expired version's stages: got %v, want none", got)
				}
				if got := aws.ToString(cf.header); got != "old" || len(cf.updates) != 1 || cf.gets != 3 {
					t.Errorf("header %q, updates %v, %d GetDistribution calls; want %q, one update, 3 (deployed before the label went)", got, cf.updates, cf.gets, "old")
				}
			}},
		{name: "set past maxSetAge, the distribution sending it and still deploying at the deadline: AWSPENDING kept", step: StepSet, deadline: 30 * time.Second,
			setup: func(sm *fakeSM, cf *fakeCF) {
				sm.values[token] = "new"
				sm.createdOf = map[string]time.Time{token: time.Now().Add(-25 * time.Minute)}
				cf.header, cf.deploying = aws.String("new"), 100
			},
			wantErr: "AWSPENDING kept while the distribution may send it",
			check: func(t *testing.T, sm *fakeSM, cf *fakeCF, _ time.Duration) {
				if got := sm.stages[token]; !slices.Equal(got, []string{"AWSPENDING"}) {
					t.Errorf("version's stages: got %v, want [AWSPENDING] (edges may still send it)", got)
				}
				if got := aws.ToString(cf.header); got != "old" {
					t.Errorf("header %q, want %q", got, "old")
				}
			}},
		{name: "set without a creation date", step: StepSet,
			setup:   func(sm *fakeSM, _ *fakeCF) { sm.values[token] = "new"; sm.created = time.Time{} },
			wantErr: "the pending version has no creation date"},
		{name: "first rotation: set does not wait for a deployment (no AWSPREVIOUS to drop)", step: StepSet,
			setup: func(sm *fakeSM, cf *fakeCF) { sm.values[token] = "new"; cf.deploying = 1 },
			check: func(t *testing.T, _ *fakeSM, cf *fakeCF, slept time.Duration) {
				if slept != 45*time.Second || cf.gets != 0 {
					t.Errorf("slept %s over %d GetDistribution calls, want 45s (the settle time) over none", slept, cf.gets)
				}
			}},
		{name: "set retries a stale ETag", step: StepSet,
			setup: func(sm *fakeSM, cf *fakeCF) { sm.values[token] = "new"; cf.stale = 2 },
			check: func(t *testing.T, _ *fakeSM, cf *fakeCF, _ time.Duration) {
				if got := aws.ToString(cf.header); got != "new" || !slices.Equal(cf.updates, []string{"E111"}) {
					t.Errorf("header %q, updates %v; want %q, [E111]", got, cf.updates, "new")
				}
			}},
		{name: "set gives up after repeated stale ETags", step: StepSet,
			setup:   func(sm *fakeSM, cf *fakeCF) { sm.values[token] = "new"; cf.stale = updateAttempts },
			wantErr: "PreconditionFailed: stale ETag"},
		{name: "set already done: no update", step: StepSet,
			setup: func(sm *fakeSM, cf *fakeCF) { sm.values[token] = "new"; cf.header = aws.String("new") },
			check: func(t *testing.T, _ *fakeSM, cf *fakeCF, _ time.Duration) {
				if len(cf.updates) != 0 {
					t.Errorf("updates: got %v, want none", cf.updates)
				}
			}},
		{name: "set without the origin header", step: StepSet,
			setup:   func(sm *fakeSM, cf *fakeCF) { sm.values[token] = "new"; cf.header = nil },
			wantErr: "no origin has a X-Origin-Verify custom header"},
		{name: "set without a pending value", step: StepSet, wantErr: "read the pending value"},
		{name: "set with another origin's X-Origin-Verify and no ORIGIN_ID", step: StepSet,
			setup:   func(sm *fakeSM, cf *fakeCF) { sm.values[token] = "new"; cf.partner = aws.String("partner") },
			wantErr: "origins App, Partner all have a X-Origin-Verify custom header: set ORIGIN_ID"},
		{name: "set with ORIGIN_ID: that origin only", step: StepSet, origin: "App",
			setup: func(sm *fakeSM, cf *fakeCF) { sm.values[token] = "new"; cf.partner = aws.String("partner") },
			check: func(t *testing.T, _ *fakeSM, cf *fakeCF, _ time.Duration) {
				if got, partner := aws.ToString(cf.header), aws.ToString(cf.partner); got != "new" || partner != "partner" {
					t.Errorf("App header %q, Partner header %q; want %q, %q (untouched)", got, partner, "new", "partner")
				}
			}},
		{name: "set with ORIGIN_ID naming an origin without the header", step: StepSet, origin: "Assets",
			setup: func(sm *fakeSM, _ *fakeCF) { sm.values[token] = "new" }, wantErr: `origin "Assets" has no X-Origin-Verify custom header`},
		{name: "test passes once the distribution sends it", step: StepTest,
			setup: func(sm *fakeSM, cf *fakeCF) { sm.values[token] = "new"; cf.header = aws.String("new") }},
		{name: "test fails before", step: StepTest, setup: func(sm *fakeSM, _ *fakeCF) { sm.values[token] = "new" },
			wantErr: "1 X-Origin-Verify header(s) do not carry the pending value"},
		{name: "finish moves the labels", step: StepFinish, setup: func(sm *fakeSM, _ *fakeCF) { sm.values[token] = "new" },
			check: func(t *testing.T, sm *fakeSM, _ *fakeCF, _ time.Duration) {
				if got := sm.stages[token]; !slices.Equal(got, []string{"AWSCURRENT"}) {
					t.Errorf("new version stages: got %v, want [AWSCURRENT]", got)
				}
				if got := sm.stages["old-version"]; !slices.Equal(got, []string{"AWSPREVIOUS"}) {
					t.Errorf("old version stages: got %v, want [AWSPREVIOUS]", got)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm, cf := newFakes()
			if tt.setup != nil {
				tt.setup(sm, cf)
			}
			r := newStepRun(sm, cf, tt.origin)
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
				r.h.now = time.Now // against the context's deadline
			}
			err := r.h.Handle(ctx, events.SecretsManagerSecretRotationEvent{Step: tt.step, SecretID: "origin", ClientRequestToken: token})
			switch {
			case tt.wantErr != "":
				var se *StepError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &se) || se.Step != tt.step {
					t.Fatalf("got error %v, want a *StepError for %s containing %q", err, tt.step, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("got error %v", err)
			}
			if tt.check != nil {
				tt.check(t, sm, cf, r.slept)
			}
		})
	}
}

// stepRun is a Handler on fakes whose clock starts 15 s after the pending
// version's creation and moves on with every sleep; logs holds its lines.
type stepRun struct {
	h     *Handler
	slept time.Duration
	logs  bytes.Buffer
}

func newStepRun(sm *fakeSM, cf *fakeCF, origin string) *stepRun {
	r := &stepRun{}
	r.h = newHandler(Config{DistributionID: "E2EXAMPLE", OriginID: origin, Settle: time.Minute}, sm, cf, slog.New(slog.NewJSONHandler(&r.logs, nil)))
	start := sm.created.Add(15 * time.Second)
	r.h.now = func() time.Time { return start.Add(r.slept) }
	r.h.sleep = func(_ context.Context, d time.Duration) error { r.slept += d; return nil }
	return r
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", env: map[string]string{"DISTRIBUTION_ID": "E2EXAMPLE0"}, want: Config{DistributionID: "E2EXAMPLE0", Settle: time.Minute}},
		{name: "settle", env: map[string]string{"DISTRIBUTION_ID": "E1", "SETTLE_TIME": "0s"}, want: Config{DistributionID: "E1"}},
		{name: "origin", env: map[string]string{"DISTRIBUTION_ID": "E1", "ORIGIN_ID": "App"}, want: Config{DistributionID: "E1", OriginID: "App", Settle: time.Minute}},
		{name: "no distribution", env: map[string]string{}, wantErr: "DISTRIBUTION_ID is required"},
		{name: "bad distribution", env: map[string]string{"DISTRIBUTION_ID": "d123.cloudfront.net"}, wantErr: `DISTRIBUTION_ID: "d123.cloudfront.net" is not a distribution id`},
		{name: "bad settle", env: map[string]string{"DISTRIBUTION_ID": "E1", "SETTLE_TIME": "1h"}, wantErr: `SETTLE_TIME: "1h" is not a Go duration from 0s to 10m0s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// FuzzHandle sends arbitrary events: the handler never panics, and every
// failure is a *StepError naming the step it was asked for.
func FuzzHandle(f *testing.F) {
	for _, step := range []string{StepCreate, StepSet, StepTest, StepFinish, "", "CreateSecret"} {
		f.Add(step, "origin", token)
	}
	f.Add(StepFinish, "", "")
	f.Add(StepCheck, "origin", "")
	f.Add(StepCheck, "", "")
	f.Add(StepSet, "origin", "old-version")
	f.Fuzz(func(t *testing.T, step, secretID, version string) {
		sm, cf := newFakes()
		sm.values[token] = "new"
		h := newHandler(Config{DistributionID: "E2EXAMPLE", Settle: time.Minute}, sm, cf, slog.New(slog.DiscardHandler))
		h.sleep = func(context.Context, time.Duration) error { return nil }
		err := h.Handle(context.Background(), events.SecretsManagerSecretRotationEvent{Step: step, SecretID: secretID, ClientRequestToken: version})
		var se *StepError
		if err != nil && (!errors.As(err, &se) || se.Step != step) {
			t.Errorf("Handle(%q, %q, %q): error %v is not a *StepError for the step", step, secretID, version, err)
		}
	})
}

// TestEventFixture decodes sam/fixtures/rotation-create-secret.json, the event
// `sam local invoke RotateFunction -e` sends, as Secrets Manager shapes it,
// and runs it.
func TestEventFixture(t *testing.T) {
	var ev events.SecretsManagerSecretRotationEvent
	if err := json.Unmarshal(fixtures.Must(t, "rotation-create-secret.json"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Step != StepCreate || !strings.HasPrefix(ev.SecretID, "arn:aws:secretsmanager:") || ev.ClientRequestToken == "" {
		t.Fatalf("fixture decoded as %+v", ev)
	}
	sm, cf := newFakes()
	sm.stages[ev.ClientRequestToken] = []string{"AWSPENDING"}
	h := newHandler(Config{DistributionID: "E2EXAMPLE", Settle: time.Minute}, sm, cf, slog.New(slog.DiscardHandler))
	if err := h.Handle(context.Background(), ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(sm.values[ev.ClientRequestToken]) != 52 {
		t.Errorf("pending value: got %q, want a new 52-character value", sm.values[ev.ClientRequestToken])
	}
}
