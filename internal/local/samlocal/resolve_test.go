package samlocal

import (
	"fmt"
	"testing"
)

func TestResolve(t *testing.T) {
	tpl := &Template{Parameters: map[string]string{"StaticPrefix": "assets", "MediaPrefix": "media"}}
	tests := []struct {
		name     string
		in, want any
	}{
		{"Sub of a parameter", map[string]any{"Fn::Sub": "${StaticPrefix}/*"}, "assets/*"},
		{"Sub of two", map[string]any{"Fn::Sub": "x${MediaPrefix}y${StaticPrefix}"}, "xmediayassets"},
		{"Sub of a pseudo parameter kept", map[string]any{"Fn::Sub": "${AWS::Region}-${StaticPrefix}"}, map[string]any{"Fn::Sub": "${AWS::Region}-${StaticPrefix}"}},
		{"unclosed variable kept", map[string]any{"Fn::Sub": "${unclosed"}, map[string]any{"Fn::Sub": "${unclosed"}},
		{"Ref in a list", []any{map[string]any{"Ref": "MediaPrefix"}, "lit"}, []any{"media", "lit"}},
		{"Ref to a resource kept", map[string]any{"Ref": "AssetsBucket"}, map[string]any{"Ref": "AssetsBucket"}},
		{"nested", map[string]any{"A": map[string]any{"B": map[string]any{"Ref": "StaticPrefix"}}}, map[string]any{"A": map[string]any{"B": "assets"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tpl.resolve(tt.in); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("resolve(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
