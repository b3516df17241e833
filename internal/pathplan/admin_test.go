package pathplan_test

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path"
	"strings"
	"testing"
)

// adminFiles returns the names of the Django 4.2 admin's static files,
// listed in testdata/django-admin-static.txt (from
// django/contrib/admin/static).
func adminFiles(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile("testdata/django-admin-static.txt")
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Fields(string(b))
}

// hashedName returns the name ManifestStaticFilesStorage gives the hashed
// copy of name, hashing the name in place of the content: the first 12 hex
// digits of the MD5 inserted before the extension (os.path.splitext's).
func hashedName(name string) string {
	sum := md5.Sum([]byte(name))
	dir, base := path.Split(name)
	ext := path.Ext(base)
	if ext == base { // splitext keeps a leading dot in the root
		ext = ""
	}
	return dir + strings.TrimSuffix(base, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
}

// collectstatic returns the keys a ManifestStaticFilesStorage collectstatic
// writes for files under location: each original and its hashed copy, and
// the manifest.
func collectstatic(location string, files []string) []string {
	keys := []string{location + "staticfiles.json"}
	for _, f := range files {
		keys = append(keys, location+f, location+hashedName(f))
	}
	return keys
}
