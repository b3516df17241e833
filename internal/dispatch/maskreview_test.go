package dispatch

import (
	"strings"
	"testing"
)

// TestMaskArgsSecretForms: secrets in forms maskArgs does not recognise
// reach the management log line in clear, seen against the built bootstrap
// (review of issue 18): a libpq connection string (key=value words, as
// dbshell, psql and DATABASES OPTIONS take), JSON, the short spelling --pw.
func TestMaskArgsSecretForms(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"libpq connection string", []string{"check", "host=db password=hunter6 user=u"}},
		{"JSON with a password key", []string{"check", "--tag", `{"password": "hunter7"}`}},
		{"--pw", []string{"check", "--pw", "hunter4"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(maskArgs(tt.args), " ")
			if strings.Contains(got, "hunter") {
				t.Errorf("maskArgs(%q) = %q: the secret is in the log", tt.args, got)
			}
		})
	}
}
