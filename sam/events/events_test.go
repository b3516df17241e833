package events_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/djfront/djfront/sam/events"
)

// Every fixture of the directory is embedded, and is one JSON object, as
// Lambda delivers events.
func TestFixturesAreJSONObjects(t *testing.T) {
	names, err := filepath.Glob("*.json")
	if err != nil || !slices.Contains(names, "s3-put.json") {
		t.Fatalf("fixtures %q, %v; want this directory's", names, err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(events.Must(t, name), &doc); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
}

func TestReadMissing(t *testing.T) {
	_, err := events.Read("nope.json")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read(nope.json) error = %v, want fs.ErrNotExist", err)
	}
	if got, want := err.Error(), "read fixture sam/events/nope.json: file does not exist"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}

func TestNames(t *testing.T) {
	want, err := filepath.Glob("api-*.json")
	if err != nil || len(want) == 0 {
		t.Fatalf("glob: %q, %v", want, err)
	}
	if got := events.Names("api-*.json"); !slices.Equal(got, want) {
		t.Errorf("Names(api-*.json) = %q, want %q", got, want)
	}
	if got := events.Names("[bad"); got != nil {
		t.Errorf("Names([bad) = %q, want none", got)
	}
}
