package main

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
)

// The lines that open and close djfront's block in a settings module:
// djfront init finds the block by them.
const (
	blockStart = "# --- djfront (djfront init) ---"
	blockEnd   = "# --- end djfront ---"
)

// settingsBlock is what djfront init puts at the end of the settings
// module. apply() is djfront.settings' (python/README.md); the name
// _djfront_settings is how djfront.checks knows the module used it
// (djfront.W009).
const settingsBlock = blockStart + `
# Added by djfront init, which finds this block by its first and last lines:
# keep them, and keep the block last. From the environment the stack gives
# the function, apply() sets DEBUG, ALLOWED_HOSTS, the proxy headers, secure
# cookies, CSRF_TRUSTED_ORIGINS, STORAGES (S3 through CloudFront), the
# upstream secrets and DATABASES["default"] over what the lines above set;
# manage.py check --deploy warns (djfront.W009) when a line after the block
# changes them. Locally: DJANGO_DEBUG=1 (docs/adopt.md).
from djfront import settings as _djfront_settings

if "djfront" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "djfront"]  # its checks: manage.py check --deploy
# First: 403 for every request that did not come through hostforward.
MIDDLEWARE = [
    "djfront.middleware.UpstreamVerifyMiddleware",
    *(m for m in MIDDLEWARE if m != "djfront.middleware.UpstreamVerifyMiddleware"),
]
# The stack's generated key (DJANGO_SECRET_KEY_SECRET_ARN), else yours.
SECRET_KEY = _djfront_settings.secret("DJANGO_SECRET_KEY") or SECRET_KEY
_djfront_settings.apply(globals())
` + blockEnd + "\n"

// blockState is what a settings module's source says of djfront's block.
type blockState int

const (
	blockMissing blockState = iota // no block: it is added
	blockSame                      // the block, as djfront init writes it
	blockDiffers                   // a block that differs: --force replaces it
)

// settingsEdit is the settings module with djfront's block.
type settingsEdit struct {
	state blockState
	src   string // the module's source with the block as djfront init writes it, at the end
	after bool   // statements follow the block (it is not last)
}

// withBlock returns src with djfront's block at its end. An existing block
// is recognised by its first and last lines; two of either, or one without
// the other, is an error. A block that differs is replaced by djfront's,
// at the end. The block takes src's line endings (CRLF or LF).
func withBlock(src string) (settingsEdit, error) {
	eol := "\n"
	if strings.Contains(src, "\r\n") {
		eol = "\r\n"
	}
	block := strings.ReplaceAll(settingsBlock, "\n", eol)
	lines := strings.SplitAfter(src, "\n")
	starts, ends := markerLines(lines, blockStart), markerLines(lines, blockEnd)
	switch {
	case len(starts) == 0 && len(ends) == 0:
		return settingsEdit{state: blockMissing, src: joinSource(eol, src, block)}, nil
	case len(starts) != 1 || len(ends) != 1 || ends[0] < starts[0]:
		return settingsEdit{}, fmt.Errorf("djfront's block is broken: want one %q line and, after it, one %q line; found %d and %d: fix or remove it by hand",
			blockStart, blockEnd, len(starts), len(ends))
	}
	before := strings.Join(lines[:starts[0]], "")
	existing := strings.Join(lines[starts[0]:ends[0]+1], "")
	rest := strings.Join(lines[ends[0]+1:], "")
	if normalizeLines(existing) == settingsBlock {
		return settingsEdit{state: blockSame, src: src, after: hasStatements(rest)}, nil
	}
	return settingsEdit{state: blockDiffers, src: joinSource(eol, before, rest, block)}, nil
}

// joinSource joins the parts that are not blank with one blank line
// between two: the newlines where two meet are dropped first. The last part
// ends with its own newline.
func joinSource(eol string, parts ...string) string {
	var kept []string
	for i, p := range parts {
		if i > 0 {
			p = strings.TrimLeft(p, "\r\n")
		}
		if i < len(parts)-1 {
			p = strings.TrimRight(p, "\r\n")
		}
		if strings.TrimSpace(p) != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, eol+eol)
}

// markerLines returns the indexes of the lines that are marker, trailing
// white space aside.
func markerLines(lines []string, marker string) []int {
	var out []int
	for i, l := range lines {
		if strings.TrimRight(l, " \t\r\n") == marker {
			out = append(out, i)
		}
	}
	return out
}

// normalizeLines turns CRLF into LF and drops trailing white space on
// each line.
func normalizeLines(s string) string {
	lines := strings.SplitAfter(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\n")
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	return strings.Join(lines, "")
}

// hasStatements reports whether Python source src holds more than blank
// lines and comments.
func hasStatements(src string) bool {
	for l := range strings.SplitSeq(src, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// requirement is a package the function needs, and why.
type requirement struct{ name, why string }

// needed are the packages the function imports whatever the project.
var needed = []requirement{
	{"django", "the app"},
	{"gunicorn", "UPSTREAM_COMMAND runs the app with it"},
	{"djfront", "the settings block imports it"},
}

// requirementName is the start of a requirement line: the project's name.
var requirementName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*`)

// requirementsWarnings returns what is wrong with the project's
// requirements.txt, which sam build installs into the function: missing,
// not naming a package of needed, or naming djfront by name alone, which
// pip takes from PyPI, where djfront is another project (docs/install.md).
// A file that includes others (-r, -c) is not checked for names.
func requirementsWarnings(fsys fs.FS) ([]string, error) {
	src, err := readSource(fsys, "requirements.txt")
	if errors.Is(err, fs.ErrNotExist) {
		return []string{"no requirements.txt: sam build puts no packages into the function, which needs Django, gunicorn and djfront at least (docs/adopt.md)"}, nil
	} else if err != nil {
		return nil, err
	}
	var names []string
	byName, otherIndex := false, false
	for l := range strings.SplitSeq(src, "\n") {
		l = strings.TrimSpace(l)
		option, _, _ := strings.Cut(l, " ")
		switch option, _, _ = strings.Cut(option, "="); option {
		case "-r", "-c", "--requirement", "--constraint":
			return nil, nil
		case "-f", "--find-links", "-i", "--index-url", "--no-index":
			otherIndex = true
		}
		spec := l
		if _, egg, ok := strings.Cut(l, "#egg="); ok {
			spec = egg
		}
		name := normalizeRequirement(requirementName.FindString(spec))
		if name == "djfront" && !strings.Contains(l, "@") && !strings.Contains(l, "://") {
			byName = true
		}
		names = append(names, name)
	}
	var out []string
	for _, r := range needed {
		if !slices.Contains(names, r.name) {
			out = append(out, fmt.Sprintf("requirements.txt does not name %s (%s): sam build installs only what it names", r.name, r.why))
		}
	}
	if byName && !otherIndex {
		out = append(out, "requirements.txt names djfront without a URL or a --find-links line: pip would take PyPI's djfront, "+
			"another project; copy make dist's djfront-VERSION-py3-none-any.whl into wheels/ and add a line --find-links ./wheels "+
			"(docs/adopt.md#install)")
	}
	return out, nil
}

// normalizeRequirement returns a project name as PEP 503 compares them:
// lowercase, runs of -, _ and . as one -.
func normalizeRequirement(name string) string {
	return regexp.MustCompile(`[-_.]+`).ReplaceAllString(strings.ToLower(name), "-")
}
