package invalidate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// s3API is the part of the S3 client the handler uses.
type s3API interface {
	ListObjectVersions(ctx context.Context, params *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

var _ s3API = (*s3.Client)(nil)

// maxVersionPages bounds the ListObjectVersions pages read for one key; a
// history longer than that counts the object as changed.
const maxVersionPages = 4

// object is one S3 object with the events the invocation carries for it,
// ordered by sequencer, oldest first.
type object struct {
	bucket, key string
	changes     []change
}

// latest returns the object's latest event.
func (o object) latest() change { return o.changes[len(o.changes)-1] }

// objectID identifies an object across buckets.
type objectID struct{ bucket, key string }

// latestPerObject groups changes by object, in the order objects first
// appear, each object's changes sorted by sequencer (stably, so repeated
// deliveries of one event stay together).
func latestPerObject(changes []change) []object {
	index := make(map[objectID]int)
	var objs []object
	for _, c := range changes {
		k := objectID{c.bucket, c.key}
		i, ok := index[k]
		if !ok {
			i = len(objs)
			index[k] = i
			objs = append(objs, object{bucket: c.bucket, key: c.key})
		}
		objs[i].changes = append(objs[i].changes, c)
	}
	for i := range objs {
		slices.SortStableFunc(objs[i].changes, func(a, b change) int {
			switch {
			case laterSequencer(a.sequencer, b.sequencer):
				return 1
			case laterSequencer(b.sequencer, a.sequencer):
				return -1
			}
			return 0
		})
	}
	return objs
}

// verdict is what the handler decided about one object.
type verdict struct {
	changed bool // its content may differ from what CloudFront holds
	removed bool // its latest event removed it
}

// lookups is what [Handler.changedObjects] found out.
type lookups struct {
	verdicts  map[objectID]verdict // one for each object
	unchanged int                  // the objects skipped as unchanged
	errors    []string             // why lookups failed, in the order of the objects
}

// changedObjects decides, for each of objs, whether its content may have
// changed (see [Handler.unchanged]). Lookups run in parallel and end at
// stop; objects the planner drops anyway (immutable, outside the origin
// path) are not looked up.
func (h *Handler) changedObjects(ctx context.Context, objs []object, stop time.Time) lookups {
	ctx, cancel := context.WithDeadline(ctx, stop)
	defer cancel()
	unchanged := make([]bool, len(objs))
	errs := make([]error, len(objs))
	sem := make(chan struct{}, lookupConcurrency)
	var wg sync.WaitGroup
	for i, o := range objs {
		if !h.needsLookup(o) {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			unchanged[i], errs[i] = h.unchanged(ctx, o)
		})
	}
	wg.Wait()

	l := lookups{verdicts: make(map[objectID]verdict, len(objs))}
	for i, o := range objs {
		if errs[i] != nil {
			l.errors = append(l.errors, errs[i].Error())
		}
		if unchanged[i] {
			l.unchanged++
		}
		l.verdicts[objectID{o.bucket, o.key}] = verdict{changed: !unchanged[i], removed: o.latest().kind != created}
	}
	return l
}

// needsLookup reports whether o is an object the planner would invalidate
// whose events carry version ids to compare: created last, or hidden by a
// delete marker last (see [Handler.superseded]). An object one of whose
// versions was removed for good is changed without a lookup: the versions
// left no longer show what CloudFront may have cached.
func (h *Handler) needsLookup(o object) bool {
	latest := o.latest()
	if _, ok := h.cfg.Plan.ObjectPath(o.key); !ok {
		return false
	}
	switch {
	case latest.kind == marked:
		return versioned(latest.versionID)
	case latest.kind != created, h.cfg.Plan.SkipsImmutable(o.key):
		return false
	}
	for _, c := range o.changes {
		if c.kind == removed || c.kind == created && !versioned(c.versionID) {
			return false
		}
	}
	return true
}

// versioned reports whether id names a version of a versioned bucket: S3
// leaves versionId out for an unversioned bucket and reports "null" for
// objects written while versioning was suspended, which overwrite each
// other.
func versioned(id string) bool { return id != "" && id != "null" }

// unchanged reports whether o, whose latest event created a version or a
// delete marker, needs no invalidation: every version the invocation's
// events created has the ETag of the version before the oldest of them, or
// the marker is [Handler.superseded]. Any doubt counts as changed; the error
// says why S3 could not tell. The package doc's “Unchanged content” gives
// the rules and the reasons for them.
func (h *Handler) unchanged(ctx context.Context, o object) (bool, error) {
	if o.latest().kind == marked {
		return h.superseded(ctx, o.bucket, o.key)
	}
	oldest := ""
	for _, c := range o.changes {
		if c.kind == created {
			oldest = c.versionID
			break
		}
	}
	versions, err := h.history(ctx, o.bucket, o.key, oldest)
	if err != nil {
		return false, err
	}
	if len(versions) == 0 || !aws.ToBool(versions[0].IsLatest) {
		return false, nil
	}
	latest := o.latest()
	byID := func(id string) int {
		return slices.IndexFunc(versions, func(v types.ObjectVersion) bool { return aws.ToString(v.VersionId) == id })
	}
	first, last := byID(oldest), byID(latest.versionID) // newest first: last <= first
	if first < 0 || last < 0 || last > first || first+1 >= len(versions) {
		return false, nil
	}
	before := aws.ToString(versions[first+1].ETag)
	if latest.etag != "" && !sameETag(latest.etag, before) {
		return false, nil
	}
	for _, v := range versions[last : first+1] {
		if !sameETag(aws.ToString(v.ETag), before) {
			return false, nil
		}
	}
	return true, nil
}

// superseded reports whether key, whose latest event in the invocation
// created a delete marker, is no longer deleted: its latest entry in S3 is
// a version, not a marker. Whatever came after the marker (an upload, or
// the marker's own removal) has an event of its own that decides whether
// CloudFront's copy is stale; until then CloudFront can only have cached
// the error response of the short gap, as with a delete and re-upload
// within one batch. A key still deleted counts as changed.
func (h *Handler) superseded(ctx context.Context, bucket, key string) (bool, error) {
	out, err := h.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil {
		return false, fmt.Errorf("list versions of s3://%s/%s: %w", bucket, key, err)
	}
	return slices.ContainsFunc(out.Versions, func(v types.ObjectVersion) bool {
		return aws.ToString(v.Key) == key && aws.ToBool(v.IsLatest)
	}), nil
}

// history returns the versions of exactly key (delete markers left out) in
// S3's order, newest first, reading pages until it holds version and the
// one before it, the key's versions end, or maxVersionPages are read.
func (h *Handler) history(ctx context.Context, bucket, key, version string) ([]types.ObjectVersion, error) {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)}
	var versions []types.ObjectVersion
	found := -1
	for range maxVersionPages {
		out, err := h.s3.ListObjectVersions(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list versions of s3://%s/%s: %w", bucket, key, err)
		}
		for _, v := range out.Versions {
			if aws.ToString(v.Key) != key {
				continue
			}
			if found < 0 && aws.ToString(v.VersionId) == version {
				found = len(versions)
			}
			versions = append(versions, v)
		}
		// Keys are listed in order and key sorts before every longer key
		// it prefixes, so a page ending past key has listed all of it.
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextKeyMarker) != key ||
			(found >= 0 && found+1 < len(versions)) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	return versions, nil
}

// sameETag compares ETags as S3 event notifications (bare) and listings
// (quoted) spell them. An empty ETag equals nothing.
func sameETag(a, b string) bool {
	a, b = strings.Trim(a, `"`), strings.Trim(b, `"`)
	return a != "" && strings.EqualFold(a, b)
}
