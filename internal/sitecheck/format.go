package sitecheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDetail bounds a detail in the text table, in runes.
const maxDetail = 160

// WriteText writes the report as a table a person reads at a glance: one
// row per check (check, result, detail), the fix under each failed check
// (a hint under a skipped one), and a count. Text from the site (hosts,
// headers) is shown without control characters.
func WriteText(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "djfront check %s\n\n", oneLine(r.URL, 0))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tDETAIL")
	var passed, failed, skipped int
	for _, c := range r.Checks {
		result := "pass"
		switch {
		case c.Failed():
			result, failed = "FAIL", failed+1
		case c.OK == nil:
			result, skipped = "skip", skipped+1
		default:
			passed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, result, oneLine(c.Detail, maxDetail))
		switch {
		case c.Fix != "" && c.Failed():
			fmt.Fprintf(tw, "\t\tfix: %s\n", oneLine(c.Fix, 0))
		case c.Fix != "" && c.OK == nil:
			fmt.Fprintf(tw, "\t\thint: %s\n", oneLine(c.Fix, 0))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\n%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as {"url": …, "checks": [{"id", "ok", "detail",
// "fix"}]}, ok null for a skipped check. The characters the text output
// drops (hidden: controls, C1 included, and format characters such as bidi
// overrides) are written as \u escapes, so the JSON is safe to print on a
// terminal and still decodes to the site's text.
func WriteJSON(w io.Writer, r Report) error {
	if r.Checks == nil {
		r.Checks = []Result{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	_, err := w.Write(escapeHidden(b.Bytes()))
	return err
}

// escapeHidden returns encoded JSON with every hidden rune but the
// encoder's own newlines written as a \u escape (a surrogate pair past
// U+FFFF). Only strings can hold such runes, and there an escape is the
// same text.
func escapeHidden(js []byte) []byte {
	out := make([]byte, 0, len(js))
	for _, r := range string(js) {
		switch {
		case r == '\n' || !hidden(r):
			out = utf8.AppendRune(out, r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
	}
	return out
}

// hidden reports whether r does not show as itself on a terminal, or moves
// or reorders what does: a control character (C0, DEL, C1) or a format
// character (Cf: bidi overrides and isolates, zero-width characters, tags).
func hidden(r rune) bool { return unicode.IsControl(r) || unicode.In(r, unicode.Cf) }

// Printable returns s, text that may come from the site (an error that
// names a certificate's hosts, a header), on one line without control
// characters: safe to print on a terminal.
func Printable(s string) string { return oneLine(s, 0) }

// oneLine returns s with control characters and runs of white space made
// one space, cut to max runes (0: no limit) with an ellipsis.
func oneLine(s string, max int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsSpace(r) || hidden(r) || r == unicode.ReplacementChar {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		if max > 0 && n >= max-1 {
			b.WriteString("…")
			return b.String()
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
