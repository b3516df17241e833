package samproject

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// editor edits a YAML document as text, line by line, so that every line it
// does not touch stays byte for byte: comments, blank lines, folded scalars
// and quoting as written. yaml.v3's Node API finds where each node is (its
// Line and Column) and states what each edit means, applied to a second
// parse of the same text; bytes checks that the edited text parses to
// exactly that tree. (Re-encoding the tree would keep tags and comments but
// not blank lines, nor the folded scalars' line breaks.)
type editor struct {
	lines []string          // the source, split at "\n"
	src   *yaml.Node        // the source's tree: where each node is
	want  *yaml.Node        // the tree the edited text must parse to
	edits map[int]*lineEdit // by 0-based source line
}

// lineEdit is what becomes of one source line.
type lineEdit struct {
	text    string   // the line, changed or not
	deleted bool     // the line goes (lines in after stay)
	after   []string // lines inserted after it
}

// newEditor parses src, a YAML document whose top is a mapping.
func newEditor(src []byte) (*editor, error) {
	var a, b yaml.Node
	if err := yaml.Unmarshal(src, &a); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if err := yaml.Unmarshal(src, &b); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if a.Kind != yaml.DocumentNode || len(a.Content) != 1 || a.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse: not one YAML document holding a mapping")
	}
	return &editor{
		lines: strings.Split(string(src), "\n"), src: a.Content[0], want: b.Content[0], edits: map[int]*lineEdit{},
	}, nil
}

// lookup returns the key and value nodes at path, a chain of mapping keys
// from top.
func lookup(top *yaml.Node, path []string) (key, value *yaml.Node, err error) {
	value = top
	for i, k := range path {
		j := keyIndex(value, k)
		if j < 0 {
			return nil, nil, fmt.Errorf("%s: not found", strings.Join(path[:i+1], "."))
		}
		key, value = value.Content[j], value.Content[j+1]
	}
	return key, value, nil
}

// keyIndex returns the index in m.Content of m's key k, or -1 when m is not
// a mapping or has no such key.
func keyIndex(m *yaml.Node, k string) int {
	if m.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return i
		}
	}
	return -1
}

// has reports whether the mapping at path has key k.
func (e *editor) has(path []string, k string) bool {
	_, m, err := lookup(e.src, path)
	return err == nil && keyIndex(m, k) >= 0
}

// scalar returns the value of the scalar at path.
func (e *editor) scalar(path []string) (string, error) {
	_, v, err := lookup(e.src, path)
	if err != nil {
		return "", err
	}
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s: not a scalar", strings.Join(path, "."))
	}
	return v.Value, nil
}

// line returns the edit of 0-based source line i, made on first use.
func (e *editor) line(i int) *lineEdit {
	if e.edits[i] == nil {
		e.edits[i] = &lineEdit{text: e.lines[i]}
	}
	return e.edits[i]
}

// render returns the one-line YAML text of a scalar value with tag
// ("!!str", "!!bool"), quoted as YAML needs.
func render(value, tag string) (string, error) {
	b, err := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value})
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(string(b), "\n")
	if strings.Contains(s, "\n") {
		return "", fmt.Errorf("value %q does not fit on one line", value)
	}
	return s, nil
}

// set replaces the one-line scalar at path with value, keeping the line's
// comment.
func (e *editor) set(path []string, value, tag string) error {
	k, v, err := lookup(e.src, path)
	if err != nil {
		return err
	}
	if v.Kind != yaml.ScalarNode || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return fmt.Errorf("%s: not a one-line scalar", strings.Join(path, "."))
	}
	text, err := render(value, tag)
	if err != nil {
		return fmt.Errorf("%s: %w", strings.Join(path, "."), err)
	}
	l := e.line(v.Line - 1)
	runes := []rune(l.text)
	if v.Column-1 > len(runes) {
		return fmt.Errorf("%s: column %d past the end of line %d", strings.Join(path, "."), v.Column, v.Line)
	}
	l.text = string(runes[:v.Column-1]) + text
	if c := firstOf(v.LineComment, k.LineComment); c != "" {
		l.text += " " + c
	}
	_, w, _ := lookup(e.want, path)
	w.Value, w.Tag, w.Style = value, tag, 0
	return nil
}

// firstOf returns the first of a and b that is not empty.
func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// lineCount returns the number of lines of a node's comment (blank lines
// between its lines included), 0 for none.
func lineCount(comment string) int {
	if comment == "" {
		return 0
	}
	return strings.Count(comment, "\n") + 1
}

// insert adds key: value (a scalar with tag) to the block mapping at path,
// after its key after, or first when after is "", preceded by comment's
// lines as comments.
func (e *editor) insert(path []string, after, key, value, tag, comment string) error {
	_, m, err := lookup(e.src, path)
	if err != nil {
		return err
	}
	where := strings.Join(path, ".")
	if m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 || len(m.Content) == 0 {
		return fmt.Errorf("%s: not a block mapping", where)
	}
	at := m.Content[0].Line - 2 - lineCount(m.Content[0].HeadComment) // the line before the first key and its comment
	if after != "" {
		i := keyIndex(m, after)
		if i < 0 {
			return fmt.Errorf("%s.%s: not found", where, after)
		}
		at = e.blockEnd(m.Content[i])
	}
	if at < 0 {
		return fmt.Errorf("%s: no line to insert %s before its first key", where, key)
	}
	text, err := render(value, tag)
	if err != nil {
		return fmt.Errorf("%s.%s: %w", where, key, err)
	}
	indent := strings.Repeat(" ", m.Content[0].Column-1)
	l := e.line(at)
	for c := range strings.SplitSeq(comment, "\n") {
		if c != "" {
			l.after = append(l.after, indent+"# "+c)
		}
	}
	l.after = append(l.after, indent+key+": "+text)

	_, w, _ := lookup(e.want, path)
	j := 0
	if after != "" {
		j = keyIndex(w, after) + 2
	}
	w.Content = slices.Insert(w.Content, j,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value})
	return nil
}

// remove deletes key and its value from the block mapping at path.
func (e *editor) remove(path []string, key string) error {
	_, m, err := lookup(e.src, path)
	if err != nil {
		return err
	}
	i := keyIndex(m, key)
	if i < 0 || m.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%s.%s: not found in a block mapping", strings.Join(path, "."), key)
	}
	for l := m.Content[i].Line - 1; l <= e.blockEnd(m.Content[i]); l++ {
		e.line(l).deleted = true
	}
	_, w, _ := lookup(e.want, path)
	j := keyIndex(w, key)
	w.Content = slices.Delete(w.Content, j, j+2)
	return nil
}

// blockEnd returns the last 0-based line of the entry whose key is k: its
// own line and the lines after it that are indented deeper (or are a
// sequence's "- " at k's own indentation), blank lines between them
// included, blank lines after them not.
func (e *editor) blockEnd(k *yaml.Node) int {
	col, end := k.Column-1, k.Line-1
	for l := end + 1; l < len(e.lines); l++ {
		t := strings.TrimLeft(e.lines[l], " ")
		if t == "" {
			continue
		}
		indent := len(e.lines[l]) - len(t)
		if indent <= col && !(indent == col && strings.HasPrefix(t, "- ")) {
			break
		}
		end = l
	}
	return end
}

// bytes returns the edited text, after checking that it parses to the
// edited tree.
func (e *editor) bytes() ([]byte, error) {
	var out []string
	for i, s := range e.lines {
		l := e.edits[i]
		switch {
		case l == nil:
			out = append(out, s)
		case l.deleted:
			out = append(out, l.after...)
		default:
			out = append(append(out, l.text), l.after...)
		}
	}
	text := []byte(strings.Join(out, "\n"))
	var got yaml.Node
	if err := yaml.Unmarshal(text, &got); err != nil {
		return nil, fmt.Errorf("the edited template does not parse: %w", err)
	}
	if len(got.Content) != 1 {
		return nil, fmt.Errorf("the edited template is not one document")
	}
	if err := sameTree(got.Content[0], e.want, ""); err != nil {
		return nil, fmt.Errorf("the edited template is not what its edits mean: %w", err)
	}
	return text, nil
}

// sameTree returns an error naming the first place where got and want
// differ in kind, tag, scalar value or number of children. Comments, styles
// and positions do not count.
func sameTree(got, want *yaml.Node, at string) error {
	if got.Kind != want.Kind || got.ShortTag() != want.ShortTag() ||
		(got.Kind == yaml.ScalarNode || got.Kind == yaml.AliasNode) && got.Value != want.Value {
		return fmt.Errorf("%s: got %s %q, want %s %q", firstOf(at, "top"), got.ShortTag(), got.Value, want.ShortTag(), want.Value)
	}
	if len(got.Content) != len(want.Content) {
		return fmt.Errorf("%s: got %d children, want %d", firstOf(at, "top"), len(got.Content), len(want.Content))
	}
	for i := range got.Content {
		name := at + "[" + strconv.Itoa(i) + "]"
		if got.Kind == yaml.MappingNode {
			name = at + "." + want.Content[i-i%2].Value
		}
		if err := sameTree(got.Content[i], want.Content[i], name); err != nil {
			return err
		}
	}
	return nil
}
