package invalidate

import (
	"cmp"
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

// latestPerObject groups changes by object, in the order objects first
// appear, each object's changes sorted by sequencer (stably, so repeated
// deliveries of one event stay together).
func latestPerObject(changes []change) []object {
	index := make(map[[2]string]int)
	var objs []object
	for _, c := range changes {
		k := [2]string{c.bucket, c.key}
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

// changedKeys returns the keys of objs whose content may have changed,
// counting the others in sum.SkippedUnchanged and failed lookups in
// sum.LookupErrors. Lookups run in parallel and end at stop; objects the
// planner drops anyway (immutable, outside the origin path) are not looked
// up.
func (h *Handler) changedKeys(ctx context.Context, objs []object, stop time.Time, sum *Summary) []string {
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

	keys := make([]string, 0, len(objs))
	for i, o := range objs {
		if errs[i] != nil {
			sum.LookupErrors++
		}
		if unchanged[i] {
			sum.SkippedUnchanged++
			continue
		}
		keys = append(keys, o.key)
	}
	return keys
}

// needsLookup reports whether o is a created object the planner would
// invalidate and whose events carry version ids to compare.
func (h *Handler) needsLookup(o object) bool {
	if !o.latest().created {
		return false
	}
	if _, ok := h.cfg.Plan.ObjectPath(o.key); !ok {
		return false
	}
	if re := h.cfg.Plan.Immutable; re != nil && re.MatchString(o.key) {
		return false
	}
	for _, c := range o.changes {
		if c.created && !versioned(c.versionID) {
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

// unchanged reports whether o, whose latest event is a creation, ends with
// the content CloudFront may hold: every version from the invocation's
// first creation of the key through its latest one — including versions in
// between, which CloudFront may have cached meanwhile — has the ETag of the
// version before them. See [Handler] for the rules. The error says why it
// could not tell.
func (h *Handler) unchanged(ctx context.Context, o object) (bool, error) {
	oldest := ""
	for _, c := range o.changes {
		if c.created {
			oldest = c.versionID
			break
		}
	}
	versions, err := h.history(ctx, o.bucket, o.key, oldest)
	if err != nil {
		return false, err
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

// history returns the versions of exactly key (delete markers left out),
// newest first, reading pages until it holds version and the one before it,
// the key's versions end, or maxVersionPages are read.
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
	slices.SortStableFunc(versions, func(a, b types.ObjectVersion) int {
		if c := cmp.Compare(boolRank(aws.ToBool(b.IsLatest)), boolRank(aws.ToBool(a.IsLatest))); c != 0 {
			return c
		}
		return aws.ToTime(b.LastModified).Compare(aws.ToTime(a.LastModified))
	})
	return versions, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sameETag compares ETags as S3 event notifications (bare) and listings
// (quoted) spell them. An empty ETag equals nothing.
func sameETag(a, b string) bool {
	a, b = strings.Trim(a, `"`), strings.Trim(b, `"`)
	return a != "" && strings.EqualFold(a, b)
}
