package pathplan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/pathplan"
)

func TestObjectPath(t *testing.T) {
	tests := []struct {
		name, origin, key string
		want              string
		wantOK            bool
	}{
		{"no origin path", "", "static/a.css", "/static/a.css", true},
		{"root origin path", "/", "static/a.css", "/static/a.css", true},
		{"origin path removed", "/static", "static/a.css", "/a.css", true},
		{"origin path without slashes", "static", "static/css/a.css", "/css/a.css", true},
		{"origin path with both slashes", "/static/", "static/a.css", "/a.css", true},
		{"nested origin path", "/site/static", "site/static/a.css", "/a.css", true},
		{"origin directory marker is the root", "/static", "static/", "/", true},
		{"key equal to origin path is outside", "/static", "static", "", false},
		{"sibling with common prefix is outside", "/static", "staticfiles/a.css", "", false},
		{"other prefix is outside", "/static", "media/a.png", "", false},
		{"case-sensitive", "/static", "Static/a.css", "", false},
		{"empty key", "", "", "", false},
		{"empty key under origin path", "/static", "", "", false},
		{"directory marker", "", "static/admin/", "/static/admin/", true},
		{"leading slash in key", "", "/a.css", "//a.css", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pathplan.Options{OriginPath: tt.origin}.ObjectPath(tt.key)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ObjectPath(%q) with origin %q = %q, %t; want %q, %t", tt.key, tt.origin, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestEncoding checks how single keys become paths when nothing needs
// coalescing.
func TestEncoding(t *testing.T) {
	tests := []struct {
		name, key string
		want      []string
	}{
		{"plain", "static/admin/css/base.css", []string{"/static/admin/css/base.css"}},
		{"space", "static/my file.css", []string{"/static/my%20file.css"}},
		{"non-ascii", "static/café.css", []string{"/static/caf%C3%A9.css"}},
		{"rfc 1738 unsafe", "a<>\"#%{}|\\^~[]`.css", []string{"/a%3C%3E%22%23%25%7B%7D%7C%5C%5E%7E%5B%5D%60.css"}},
		{"question mark is not a query", "a?b=1", []string{"/a%3Fb=1"}},
		{"control characters", "a\tb\x7f", []string{"/a%09b%7F"}},
		{"safe characters stay", "a-_.!$&'()+,:;=@b", []string{"/a-_.!$&'()+,:;=@b"}},
		{"case kept", "Static/A.CSS", []string{"/Static/A.CSS"}},
		{"star is not encoded but ends the path", "static/a*b.css", []string{"/static/a*"}},
		{"star in a directory", "static/v*/a.css", []string{"/static/v*"}},
		{"star alone", "*", []string{"/*"}},
		{"index.html covers its directory", "docs/index.html", []string{"/docs", "/docs/", "/docs/index.html"}},
		{"root index.html", "index.html", []string{"/", "/index.html"}},
		{"index.html needs the whole name", "docs/myindex.html", []string{"/docs/myindex.html"}},
		{"encoded index directory", "my docs/index.html", []string{"/my%20docs", "/my%20docs/", "/my%20docs/index.html"}},
		{"directory marker is one object", "static/admin/", []string{"/static/admin/"}},
		{"double slash", "static//a.css", []string{"/static//a.css"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pathplan.NewPlan([]string{tt.key}, nil, pathplan.Options{MaxPaths: 100})
			if !slices.Equal(p.Paths, tt.want) {
				t.Errorf("NewPlan(%q).Paths = %q, want %q", tt.key, p.Paths, tt.want)
			}
		})
	}
}

func TestPathLength(t *testing.T) {
	long := strings.Repeat("x", pathplan.MaxPathLength)
	tests := []struct {
		name, key string
		want      []string
	}{
		{"fits exactly", "d/" + long[:pathplan.MaxPathLength-len("/d/")], []string{"/d/" + long[:pathplan.MaxPathLength-len("/d/")]}},
		{"one too long goes to its directory", "d/" + long[:pathplan.MaxPathLength-len("/d/")+1], []string{"/d/*"}},
		{"long after encoding", "d/" + strings.Repeat(" ", 1400), []string{"/d/*"}},
		{"long directory goes up", "d/" + long + "/e/a.css", []string{"/d/*"}},
		{"long first directory goes to the root", long + "/a.css", []string{"/*"}},
		{"long star prefix goes to its directory", "d/" + long + "*", []string{"/d/*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pathplan.NewPlan([]string{tt.key}, nil, pathplan.Options{MaxPaths: 100})
			if !slices.Equal(p.Paths, tt.want) {
				t.Errorf("NewPlan(%.40q...).Paths = %.60q, want %.60q", tt.key, p.Paths, tt.want)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	paths := []string{"/a/b.css", "/c/*", "/d/e%20f*", "/g%3F"}
	tests := []struct {
		object string
		want   bool
	}{
		{"/a/b.css", true},
		{"/a/b.cs", false},
		{"/a/b.css.map", false},
		{"/A/b.css", false},
		{"/c/x/y/z.js", true},
		{"/c/", true},
		{"/c", false},
		{"/d/e f.css", true},
		{"/d/e%20f.css", false}, // unencoded form expected: its '%' is encoded again
		{"/g?", true},
		{"/g", false},
		{"/h*", false},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			if got := pathplan.Covers(paths, tt.object); got != tt.want {
				t.Errorf("Covers(%q, %q) = %t, want %t", paths, tt.object, got, tt.want)
			}
		})
	}
	if pathplan.Covers(nil, "/a") {
		t.Errorf("Covers(nil, %q) = true, want false", "/a")
	}
}

func TestValidatePath(t *testing.T) {
	tests := []struct {
		path    string
		wantErr string // a substring of the error; "" for valid
	}{
		{path: "/static/css/app.css"},
		{path: "/static/*"},
		{path: "/*"},
		{path: "/static/hero%20banner.png"},
		{path: "/caf%c3%a9.png"},
		{path: "/a,b;c=d@e$f&g+h'(i)!j"},
		{path: "static/app.css", wantErr: "does not start with '/'"},
		{path: "", wantErr: "does not start with '/'"},
		{path: "/" + strings.Repeat("a", pathplan.MaxPathLength), wantErr: "more than CloudFront's 4000"},
		{path: "/" + strings.Repeat("a", pathplan.MaxPathLength-1)},
		{path: "/a*/b", wantErr: "'*' before its end"},
		{path: "/a b", wantErr: "must be percent-encoded"},
		{path: "/a?b", wantErr: "must be percent-encoded"},
		{path: "/café", wantErr: "must be percent-encoded"},
		{path: "/100%", wantErr: "does not start an escape"},
		{path: "/100%2", wantErr: "does not start an escape"},
		{path: "/100%zz", wantErr: "does not start an escape"},
	}
	for _, tt := range tests {
		t.Run(tt.path[:min(len(tt.path), 40)], func(t *testing.T) {
			err := pathplan.ValidatePath(tt.path)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ValidatePath(%.60q) = %v, want nil", tt.path, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("ValidatePath(%.60q) = %v, want an error containing %q", tt.path, err, tt.wantErr)
			}
		})
	}
}
