package samproject

import (
	"strings"
	"testing"
)

const editSource = `# head
A:
  Keep: !Ref X # why
  Folded: >-
    one line
    and another

  Nested:
    - !Sub ${X}
    - b
  # about Last
  Last: "q" # last
B: !GetAtt Y.Arn
C:
  # about D
  D: d
`

func TestEditor(t *testing.T) {
	tests := []struct {
		name string
		edit func(e *editor) error
		want string
	}{
		{
			name: "set keeps the line's comment, quotes what YAML must",
			edit: func(e *editor) error { return e.set([]string{"A", "Last"}, "true", "!!str") },
			want: strings.Replace(editSource, `Last: "q" # last`, `Last: "true" # last`, 1),
		},
		{
			name: "set replaces a tagged scalar with a plain one",
			edit: func(e *editor) error { return e.set([]string{"B"}, "plain", "!!str") },
			want: strings.Replace(editSource, "B: !GetAtt Y.Arn", "B: plain", 1),
		},
		{
			name: "insert after a folded value and its blank line",
			edit: func(e *editor) error { return e.insert([]string{"A"}, "Folded", "New", "v", "!!str", "a comment") },
			want: strings.Replace(editSource, "    and another\n", "    and another\n  # a comment\n  New: v\n", 1),
		},
		{
			name: "insert first",
			edit: func(e *editor) error { return e.insert([]string{"A"}, "", "First", "true", "!!bool", "") },
			want: strings.Replace(editSource, "A:\n", "A:\n  First: true\n", 1),
		},
		{
			name: "insert first, above the first key's comment",
			edit: func(e *editor) error { return e.insert([]string{"C"}, "", "E", "e", "!!str", "") },
			want: strings.Replace(editSource, "C:\n", "C:\n  E: e\n", 1),
		},
		{
			name: "remove a key with a sequence, keeping the blank line before it",
			edit: func(e *editor) error { return e.remove([]string{"A"}, "Nested") },
			want: strings.Replace(editSource, "  Nested:\n    - !Sub ${X}\n    - b\n", "", 1),
		},
		{
			name: "remove then insert in its place",
			edit: func(e *editor) error {
				if err := e.remove([]string{"A"}, "Keep"); err != nil {
					return err
				}
				return e.insert([]string{"A"}, "", "Kept", "k", "!!str", "")
			},
			want: strings.Replace(editSource, "  Keep: !Ref X # why\n", "  Kept: k\n", 1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := newEditor([]byte(editSource))
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.edit(e); err != nil {
				t.Fatal(err)
			}
			got, err := e.bytes()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestEditorChecksItsText shows the check that backs the line edits: text
// that parses to another tree than the edits mean is an error, not output.
func TestEditorChecksItsText(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(e *editor)
		wantErr string
	}{
		{"a value changed behind the tree's back", func(e *editor) { e.line(12).text = "B: other" }, `.B: got !!str "other", want !GetAtt "Y.Arn"`},
		{"a key lost", func(e *editor) { e.line(2).deleted = true }, ".A: got 6 children, want 8"},
		{"text that does not parse", func(e *editor) { e.line(1).text = "A: [" }, "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := newEditor([]byte(editSource))
			if err != nil {
				t.Fatal(err)
			}
			tt.corrupt(e)
			if _, err := e.bytes(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("bytes: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestEditorRefuses(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(e *editor) error
		wantErr string
	}{
		{"set a missing key", func(e *editor) error { return e.set([]string{"A", "Nope"}, "v", "!!str") }, "A.Nope: not found"},
		{"set a multi-line scalar", func(e *editor) error { return e.set([]string{"A", "Folded"}, "v", "!!str") }, "not a one-line scalar"},
		{"set a sequence", func(e *editor) error { return e.set([]string{"A", "Nested"}, "v", "!!str") }, "not a one-line scalar"},
		{"a value on two lines", func(e *editor) error { return e.set([]string{"B"}, "a\nb", "!!str") }, "does not fit on one line"},
		{"insert into a scalar", func(e *editor) error { return e.insert([]string{"B"}, "", "K", "v", "!!str", "") }, "B: not a block mapping"},
		{"insert after a missing key", func(e *editor) error { return e.insert([]string{"A"}, "Nope", "K", "v", "!!str", "") }, "A.Nope: not found"},
		{"insert before the document's first line", func(e *editor) error { return e.insert(nil, "", "K", "v", "!!str", "") }, "no line to insert K"},
		{"remove a missing key", func(e *editor) error { return e.remove([]string{"A"}, "Nope") }, "A.Nope: not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := newEditor([]byte(editSource))
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.edit(e); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
