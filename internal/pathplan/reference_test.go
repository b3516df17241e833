package pathplan_test

import (
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/pathplan"
)

func TestCallerReference(t *testing.T) {
	ids := []string{"msg-1", "msg-2", "msg-3"}
	paths := []string{"/static/admin/css/*", "/static/staticfiles.json"}
	ref := pathplan.CallerReference(ids, paths)

	if !strings.HasPrefix(ref, "djfront-") || len(ref) > 128 {
		t.Errorf("CallerReference = %q, want a djfront- prefix and at most 128 characters", ref)
	}
	same := []struct {
		name       string
		ids, paths []string
	}{
		{"same input", []string{"msg-1", "msg-2", "msg-3"}, []string{"/static/admin/css/*", "/static/staticfiles.json"}},
		{"ids reordered", []string{"msg-3", "msg-1", "msg-2"}, paths},
		{"ids repeated", []string{"msg-1", "msg-2", "msg-2", "msg-3", "msg-1"}, paths},
		{"paths reordered", ids, []string{"/static/staticfiles.json", "/static/admin/css/*"}},
	}
	for _, tt := range same {
		t.Run(tt.name, func(t *testing.T) {
			if got := pathplan.CallerReference(tt.ids, tt.paths); got != ref {
				t.Errorf("CallerReference(%q, %q) = %q, want %q", tt.ids, tt.paths, got, ref)
			}
		})
	}
	different := []struct {
		name       string
		ids, paths []string
	}{
		{"one id fewer", ids[:2], paths},
		{"one id more", append([]string{"msg-0"}, ids...), paths},
		{"other paths", ids, []string{"/static/*"}},
		{"no paths", ids, nil},
		{"ids and paths swapped", paths, ids},
		{"boundary moved between ids", []string{"msg-1msg-2", "msg-3"}, paths},
		{"id moved into paths", ids[:2], append([]string{"msg-3"}, paths...)},
	}
	for _, tt := range different {
		t.Run(tt.name, func(t *testing.T) {
			if got := pathplan.CallerReference(tt.ids, tt.paths); got == ref {
				t.Errorf("CallerReference(%q, %q) = %q, the reference of %q, %q", tt.ids, tt.paths, got, ids, paths)
			}
		})
	}
}
