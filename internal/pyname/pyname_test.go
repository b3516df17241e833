package pyname_test

import (
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/pyname"
)

func TestCheckModule(t *testing.T) {
	tests := []struct {
		name    string
		module  string
		wantErr string // "" for valid
	}{
		{name: "startproject's", module: "mysite.settings"},
		{name: "one part", module: "settings"},
		{name: "split settings", module: "config.settings.production"},
		{name: "underscores and digits", module: "_my_site2.settings_v2"},
		{name: "empty", module: "", wantErr: `module "": not a dotted path`},
		{name: "double dot", module: "mysite..settings", wantErr: "not a dotted path"},
		{name: "relative", module: ".settings", wantErr: "not a dotted path"},
		{name: "trailing dot", module: "mysite.", wantErr: "not a dotted path"},
		{name: "path", module: "mysite/settings", wantErr: "not a dotted path"},
		{name: "dot dot", module: "../etc.passwd", wantErr: "not a dotted path"},
		{name: "shell", module: "mysite.settings; rm -rf ~", wantErr: `"mysite.settings; rm -rf ~"`},
		{name: "space", module: "my site.settings", wantErr: "not a dotted path"},
		{name: "leading digit", module: "2site.settings", wantErr: "not a dotted path"},
		{name: "keyword", module: "class.settings", wantErr: "not a dotted path"},
		{name: "non-ASCII", module: "mysité.settings", wantErr: "ASCII letters"},
		{name: "control character", module: "mysite.settings\n", wantErr: `"mysite.settings\n"`},
		{name: "YAML", module: "a: b", wantErr: "not a dotted path"},
		{name: "too long", module: strings.Repeat("a.", 100) + "b", wantErr: "longer than 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pyname.CheckModule(tt.module)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckModule(%q): %v, want nil", tt.module, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CheckModule(%q): %v, want an error containing %q", tt.module, err, tt.wantErr)
			}
		})
	}
}

func TestParseWSGI(t *testing.T) {
	tests := []struct {
		in      string
		want    pyname.WSGI
		wantErr string
	}{
		{in: "mysite.wsgi:application", want: pyname.WSGI{Module: "mysite.wsgi", Callable: "application"}},
		{in: "mysite.wsgi.application", want: pyname.WSGI{Module: "mysite.wsgi", Callable: "application"}},
		{in: "config.wsgi:app", want: pyname.WSGI{Module: "config.wsgi", Callable: "app"}},
		{in: "wsgi:application", want: pyname.WSGI{Module: "wsgi", Callable: "application"}},
		{in: "application", wantErr: "want module:callable"},
		{in: "mysite.wsgi:", wantErr: `callable "" is not`},
		{in: "mysite.wsgi:create_app()", wantErr: `callable "create_app()" is not`},
		{in: ":application", wantErr: `module "": not a dotted path`},
		{in: "mysite.wsgi:application:x", wantErr: "is not a Python identifier"},
		{in: "mysite.wsgi:application && curl evil", wantErr: "is not a Python identifier"},
		{in: "mysite.wsgi.application;id", wantErr: "is not a Python identifier"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := pyname.ParseWSGI(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseWSGI(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseWSGI(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if s, d := got.String(), got.Dotted(); s != tt.want.Module+":"+tt.want.Callable || d != tt.want.Module+"."+tt.want.Callable {
				t.Errorf("String, Dotted = %q, %q", s, d)
			}
		})
	}
}
