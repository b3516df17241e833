package invalidate

import (
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/pathplan"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name          string
		env           map[string]string
		wantErr       string // the variable the error must name; "" for success
		wantMax       int
		wantImmutable string // "" for no pattern
		wantOrigin    string
		wantStatic    string // "" for DefaultStaticPrefix
	}{
		{
			name:    "defaults",
			env:     map[string]string{"DISTRIBUTION_ID": "E1"},
			wantMax: DefaultMaxPaths, wantImmutable: pathplan.DefaultImmutablePattern,
		},
		{
			name: "everything set",
			env: map[string]string{"DISTRIBUTION_ID": "E1", "ORIGIN_PATH": "/static", "IMMUTABLE_PATTERN": `\.v\d+\.`,
				"MAX_PATHS": "3000"},
			wantMax: 3000, wantImmutable: `\.v\d+\.`, wantOrigin: "/static",
		},
		{
			name:    "empty pattern turns the check off",
			env:     map[string]string{"DISTRIBUTION_ID": "E1", "IMMUTABLE_PATTERN": ""},
			wantMax: DefaultMaxPaths,
		},
		{
			name:    "empty MAX_PATHS is the default",
			env:     map[string]string{"DISTRIBUTION_ID": "E1", "MAX_PATHS": ""},
			wantMax: DefaultMaxPaths, wantImmutable: pathplan.DefaultImmutablePattern,
		},
		{
			name:    "static prefix inside the origin path",
			env:     map[string]string{"DISTRIBUTION_ID": "E1", "ORIGIN_PATH": "/assets", "STATIC_PREFIX": "assets/static/"},
			wantMax: DefaultMaxPaths, wantImmutable: pathplan.DefaultImmutablePattern, wantOrigin: "/assets", wantStatic: "assets/static/",
		},
		{
			name:    "origin path inside the static prefix",
			env:     map[string]string{"DISTRIBUTION_ID": "E1", "ORIGIN_PATH": "/static/css"},
			wantMax: DefaultMaxPaths, wantImmutable: pathplan.DefaultImmutablePattern, wantOrigin: "/static/css",
		},
		{name: "STATIC_PREFIX empty", env: map[string]string{"DISTRIBUTION_ID": "E1", "STATIC_PREFIX": ""}, wantErr: "STATIC_PREFIX"},
		{name: "STATIC_PREFIX with a wildcard", env: map[string]string{"DISTRIBUTION_ID": "E1", "STATIC_PREFIX": "static/*"}, wantErr: "STATIC_PREFIX"},
		{name: "STATIC_PREFIX outside ORIGIN_PATH", env: map[string]string{"DISTRIBUTION_ID": "E1", "ORIGIN_PATH": "/media"}, wantErr: "STATIC_PREFIX"},
		{name: "STATIC_PREFIX a sibling of ORIGIN_PATH", env: map[string]string{"DISTRIBUTION_ID": "E1", "ORIGIN_PATH": "/stat", "STATIC_PREFIX": "static"}, wantErr: "STATIC_PREFIX"},
		{name: "no distribution", env: map[string]string{}, wantErr: "DISTRIBUTION_ID"},
		{name: "empty distribution", env: map[string]string{"DISTRIBUTION_ID": ""}, wantErr: "DISTRIBUTION_ID"},
		{name: "bad pattern", env: map[string]string{"DISTRIBUTION_ID": "E1", "IMMUTABLE_PATTERN": "("}, wantErr: "IMMUTABLE_PATTERN"},
		{name: "MAX_PATHS with a sign", env: map[string]string{"DISTRIBUTION_ID": "E1", "MAX_PATHS": "+15"}, wantErr: "MAX_PATHS"},
		{name: "DISTRIBUTION_ID not an id", env: map[string]string{"DISTRIBUTION_ID": "arn:aws:cloudfront::1:distribution/E1"}, wantErr: "DISTRIBUTION_ID"},
		{name: "ORIGIN_PATH with a leading space", env: map[string]string{"DISTRIBUTION_ID": "E1", "ORIGIN_PATH": " /static"}, wantErr: "ORIGIN_PATH"},
		{name: "ORIGIN_PATH with a wildcard", env: map[string]string{"DISTRIBUTION_ID": "E1", "ORIGIN_PATH": "/static/*"}, wantErr: "ORIGIN_PATH"},
		{name: "ORIGIN_PATH as an S3 URL", env: map[string]string{"DISTRIBUTION_ID": "E1", "ORIGIN_PATH": "s3://bucket/static"}, wantErr: "ORIGIN_PATH"},
		{name: "ORIGIN_PATH only slashes", env: map[string]string{"DISTRIBUTION_ID": "E1", "ORIGIN_PATH": "//"}, wantErr: "ORIGIN_PATH"},
		{name: "MAX_PATHS zero", env: map[string]string{"DISTRIBUTION_ID": "E1", "MAX_PATHS": "0"}, wantErr: "MAX_PATHS"},
		{name: "MAX_PATHS too large", env: map[string]string{"DISTRIBUTION_ID": "E1", "MAX_PATHS": "3001"}, wantErr: "MAX_PATHS"},
		{name: "MAX_PATHS not a number", env: map[string]string{"DISTRIBUTION_ID": "E1", "MAX_PATHS": "15 paths"}, wantErr: "MAX_PATHS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr+" ") && !strings.HasPrefix(err.Error(), tt.wantErr+":") {
					t.Fatalf("got error %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := cfg.Plan.MaxPaths, tt.wantMax; got != want {
				t.Errorf("got MaxPaths %d, want %d", got, want)
			}
			got := ""
			if cfg.Plan.Immutable != nil {
				got = cfg.Plan.Immutable.String()
			}
			if got != tt.wantImmutable {
				t.Errorf("got Immutable %q, want %q", got, tt.wantImmutable)
			}
			if got, want := cfg.Plan.OriginPath, tt.wantOrigin; got != want {
				t.Errorf("got OriginPath %q, want %q", got, want)
			}
			wantStatic := tt.wantStatic
			if wantStatic == "" {
				wantStatic = DefaultStaticPrefix
			}
			if got := cfg.Plan.StaticPrefix; got != wantStatic {
				t.Errorf("got StaticPrefix %q, want %q", got, wantStatic)
			}
		})
	}
}

// TestImmutableCheckOff: unset, IMMUTABLE_PATTERN is the default; set and
// empty, or a pattern no key matches, it turns the check off (a deployment
// that set it empty to have every file invalidated must not, silently, have
// hashed files skipped).
func TestImmutableCheckOff(t *testing.T) {
	const hashed = "static/css/base.6b517d0d5813.css"
	for _, tt := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"unset", map[string]string{"DISTRIBUTION_ID": "E1"}, true},
		{"empty", map[string]string{"DISTRIBUTION_ID": "E1", "IMMUTABLE_PATTERN": ""}, false},
		{"^$", map[string]string{"DISTRIBUTION_ID": "E1", "IMMUTABLE_PATTERN": "^$"}, false},
	} {
		cfg, err := ConfigFromEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Plan.SkipsImmutable(hashed); got != tt.want {
			t.Errorf("IMMUTABLE_PATTERN %s: SkipsImmutable(%s) = %v, want %v", tt.name, hashed, got, tt.want)
		}
	}
}
