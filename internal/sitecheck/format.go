package sitecheck

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
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
// "fix"}]}, ok null for a skipped check.
func WriteJSON(w io.Writer, r Report) error {
	if r.Checks == nil {
		r.Checks = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

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
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.In(r, unicode.Cf) || r == unicode.ReplacementChar {
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
