package invalidate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Errors CloudFront returns, as the SDK surfaces them.
var (
	errThrottling = &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
	errTooMany    = &cftypes.TooManyInvalidationsInProgress{Message: aws.String("Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.")}
	errServer     = &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusServiceUnavailable}},
		Err:      errors.New("service unavailable"),
	}}
	errDenied = &cftypes.AccessDenied{Message: aws.String("User is not authorized to perform: cloudfront:CreateInvalidation")}
)

// fakeCloudFront records CreateInvalidation calls. fail, if set, returns the
// error for call n (from 1), nil for success; refuse, if set, fails with
// CloudFront's InvalidArgument every call one of whose paths contains it.
type fakeCloudFront struct {
	fail   func(n int) error
	refuse string

	mu    sync.Mutex
	calls []*cloudfront.CreateInvalidationInput
}

var _ cloudFrontAPI = (*fakeCloudFront)(nil)

func (f *fakeCloudFront) CreateInvalidation(_ context.Context, in *cloudfront.CreateInvalidationInput, _ ...func(*cloudfront.Options)) (*cloudfront.CreateInvalidationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if f.refuse != "" && slices.ContainsFunc(in.InvalidationBatch.Paths.Items, func(p string) bool { return strings.Contains(p, f.refuse) }) {
		return nil, &cftypes.InvalidArgument{Message: aws.String("Your request contains one or more invalid invalidation paths.")}
	}
	if f.fail != nil {
		if err := f.fail(len(f.calls)); err != nil {
			return nil, err
		}
	}
	return &cloudfront.CreateInvalidationOutput{Invalidation: &cftypes.Invalidation{
		Id:                aws.String(fmt.Sprintf("I%dEXAMPLE", len(f.calls))),
		Status:            aws.String("InProgress"),
		InvalidationBatch: in.InvalidationBatch,
	}}, nil
}

// failFirst fails the first n calls with errs in turn, then succeeds.
func failFirst(n int, errs ...error) func(int) error {
	return func(call int) error {
		if call > n {
			return nil
		}
		return errs[(call-1)%len(errs)]
	}
}

// always fails every call with err.
func always(err error) func(int) error { return func(int) error { return err } }

// paths returns the paths of the only call, failing if there was not
// exactly one.
func (f *fakeCloudFront) only() (*cloudfront.CreateInvalidationInput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) != 1 {
		return nil, fmt.Errorf("got %d CreateInvalidation calls, want 1", len(f.calls))
	}
	return f.calls[0], nil
}

func (f *fakeCloudFront) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// fakeS3 serves ListObjectVersions from versions, which holds the versions
// of the bucket in S3's order (key, then newest first), pageSize at a time
// (all at once if 0). err, if set, fails every call.
type fakeS3 struct {
	versions []s3types.ObjectVersion
	pageSize int
	err      error

	mu    sync.Mutex
	calls int
}

var _ s3API = (*fakeS3)(nil)

func (f *fakeS3) ListObjectVersions(_ context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var match []s3types.ObjectVersion
	for _, v := range f.versions {
		if strings.HasPrefix(aws.ToString(v.Key), aws.ToString(in.Prefix)) {
			match = append(match, v)
		}
	}
	if in.KeyMarker != nil {
		i := slices.IndexFunc(match, func(v s3types.ObjectVersion) bool {
			return aws.ToString(v.Key) == aws.ToString(in.KeyMarker) && aws.ToString(v.VersionId) == aws.ToString(in.VersionIdMarker)
		})
		match = match[i+1:]
	}
	out := &s3.ListObjectVersionsOutput{Versions: match, IsTruncated: aws.Bool(false)}
	if f.pageSize > 0 && len(match) > f.pageSize {
		last := match[f.pageSize-1]
		out.Versions = match[:f.pageSize]
		out.IsTruncated = aws.Bool(true)
		out.NextKeyMarker, out.NextVersionIdMarker = last.Key, last.VersionId
	}
	return out, nil
}

// version returns a listed object version; age orders versions (larger is
// older) through LastModified.
func version(key, id, etag string, age int, latest bool) s3types.ObjectVersion {
	return s3types.ObjectVersion{
		Key:          aws.String(key),
		VersionId:    aws.String(id),
		ETag:         aws.String(`"` + etag + `"`),
		IsLatest:     aws.Bool(latest),
		LastModified: aws.Time(time.Date(2024, 5, 14, 9, 0, 0, 0, time.UTC).Add(-time.Duration(age) * time.Minute)),
	}
}

// testHandler returns a handler with fast backoff and a small margin,
// logging to log (discarded if nil).
func testHandler(cfg Config, cf cloudFrontAPI, s3c s3API, log io.Writer) *Handler {
	if log == nil {
		log = io.Discard
	}
	h := newHandler(cfg, cf, s3c, slog.New(slog.NewJSONHandler(log, nil)))
	h.margin = 50 * time.Millisecond
	h.backoff = backoff{base: time.Millisecond, max: 10 * time.Millisecond}
	return h
}
