package localedge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// objectGetter is the part of the S3 client Assets uses.
type objectGetter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ objectGetter = (*s3.Client)(nil)

// Assets serves the distribution's S3 cache behaviours: paths under its
// prefixes are keys of its bucket (the S3 origin has no origin path).
type Assets struct {
	client   objectGetter
	bucket   string
	prefixes []string // "/static/", "/media/"
	logger   *slog.Logger
}

// NewAssets returns the behaviours for prefixes (such as "static" and
// "media") of bucket, read with client (an *s3.Client). logger may be nil.
func NewAssets(client objectGetter, bucket string, logger *slog.Logger, prefixes ...string) *Assets {
	if logger == nil {
		logger = slog.Default()
	}
	a := &Assets{client: client, bucket: bucket, logger: logger}
	for _, p := range prefixes {
		a.prefixes = append(a.prefixes, "/"+strings.Trim(p, "/")+"/")
	}
	return a
}

// Matches reports whether path belongs to one of the asset behaviours.
func (a *Assets) Matches(path string) bool {
	for _, p := range a.prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// ServeHTTP answers a GET or HEAD with the object, honouring conditional
// and range requests as S3 does; other methods get CloudFront's 403.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintln(w, "403 ERROR: This distribution is not configured to allow the HTTP request method that was used for this request.")
		return
	}
	key := strings.TrimPrefix(r.URL.Path, "/")
	out, err := a.client.GetObject(r.Context(), &s3.GetObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key)})
	var body []byte
	if err == nil {
		body, err = io.ReadAll(out.Body)
		out.Body.Close()
	}
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NoSuchKey" || apiErr.ErrorCode() == "NotFound" || apiErr.ErrorCode() == "AccessDenied"):
		// With origin access control and no s3:ListBucket, S3 answers a
		// missing key with 403 AccessDenied, and CloudFront passes it on.
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
		return
	case err != nil:
		a.logger.Error("edge: S3 origin", "bucket", a.bucket, "key", key, "error", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "502 ERROR: CloudFront wasn't able to connect to the origin: the S3 bucket %s did not answer: %v\n", a.bucket, err)
		return
	}
	h := w.Header()
	for name, v := range map[string]*string{
		"Content-Type": out.ContentType, "Cache-Control": out.CacheControl, "Content-Encoding": out.ContentEncoding, "ETag": out.ETag,
	} {
		if v != nil && *v != "" {
			h.Set(name, *v)
		}
	}
	var modified time.Time
	if out.LastModified != nil {
		modified = *out.LastModified
	}
	http.ServeContent(w, r, "", modified, bytes.NewReader(body))
}
