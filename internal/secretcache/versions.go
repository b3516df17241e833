package secretcache

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Staging labels, as Secrets Manager spells them.
const (
	StageCurrent  = "AWSCURRENT"
	StagePending  = "AWSPENDING"
	StagePrevious = "AWSPREVIOUS"
)

// PendingWindow is how long after its creation an AWSPENDING version is
// accepted. A rotation (package rotation) sets the pending value on the
// distribution within its 15-minute function timeout and makes it
// AWSCURRENT seconds later; a pending version older than that belongs to a
// rotation that failed, or to someone allowed PutSecretValue, and must not
// open the origin for ever. The hour leaves the rotation function's
// scheduled check the time to put AWSCURRENT back on a distribution that a
// failed rotation left sending the pending value (package rotation: it does
// so once the version is 30 minutes old, and CloudFront deploys in minutes).
const PendingWindow = time.Hour

// maxListPages bounds the ListSecretVersionIds pages one read follows: the
// listing holds only labelled versions, a handful.
const maxListPages = 10

// API is the part of the Secrets Manager client a Secret uses.
type API interface {
	ListSecretVersionIds(ctx context.Context, params *secretsmanager.ListSecretVersionIdsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error)
	GetSecretValue(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)

// Version describes one version of a secret that carries AWSCURRENT,
// AWSPENDING or AWSPREVIOUS; never its value.
type Version struct {
	ID string
	// Stages are the version's labels among those three.
	Stages []string
	// Created is when Secrets Manager created the version (zero: unknown).
	Created time.Time
}

// Has reports whether v carries stage.
func (v Version) Has(stage string) bool { return slices.Contains(v.Stages, stage) }

// Versions is one consistent read of a secret: the versions a single
// ListSecretVersionIds call labelled AWSCURRENT, AWSPENDING or AWSPREVIOUS,
// each value then read by its version id (a version's value never
// changes). A rotation that moves the labels during the read shows either
// before or after the move, never half of it. The zero value holds nothing.
type Versions struct {
	list []heldVersion
}

type heldVersion struct {
	Version
	value  string
	digest [sha256.Size]byte
}

// ReadError is the error a read of the secret returns: the secret, its
// versions or one version's value (Stage names its labels) could not be read.
type ReadError struct {
	SecretID string
	// Stage is "versions" for the listing, else the labels of the version
	// whose value failed.
	Stage string
	Err   error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("read secret %s (%s): %v", e.SecretID, e.Stage, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// ReadVersions reads secret id (an ARN or a name) through client, once. It
// fails when the versions cannot be listed, when a labelled version's value
// cannot be read, or when there is no AWSCURRENT string value; an
// AWSPENDING version that has no value yet (a rotation between RotateSecret
// and its createSecret step) is left out.
func ReadVersions(ctx context.Context, client API, id string) (Versions, error) {
	return readVersions(ctx, client, id, Versions{})
}

// readVersions is ReadVersions reusing the values of known, so only a
// version it has not seen costs a GetSecretValue. optFns go to every call.
func readVersions(ctx context.Context, client API, id string, known Versions, optFns ...func(*secretsmanager.Options)) (Versions, error) {
	listed, err := listLabelled(ctx, client, id, optFns)
	if err != nil {
		return Versions{}, err
	}
	var out Versions
	for _, v := range listed {
		h, ok := known.byID(v.ID)
		if !ok {
			if h, ok, err = readValue(ctx, client, id, v, optFns); err != nil {
				return Versions{}, err
			}
			if !ok {
				continue
			}
		}
		h.Stages = v.Stages
		out.list = append(out.list, h)
	}
	if out.Current() == "" {
		return Versions{}, &ReadError{SecretID: id, Stage: StageCurrent, Err: errors.New("no version carries it")}
	}
	return out, nil
}

// listLabelled lists the versions of secret id that carry one of the three
// labels, with only those labels.
func listLabelled(ctx context.Context, client API, id string, optFns []func(*secretsmanager.Options)) ([]Version, error) {
	in := &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(id), MaxResults: aws.Int32(100)}
	var out []Version
	for range maxListPages {
		page, err := client.ListSecretVersionIds(ctx, in, optFns...)
		if err != nil {
			return nil, &ReadError{SecretID: id, Stage: "versions", Err: err}
		}
		for _, e := range page.Versions {
			stages := slices.DeleteFunc(slices.Clone(e.VersionStages), func(s string) bool {
				return s != StageCurrent && s != StagePending && s != StagePrevious
			})
			if len(stages) > 0 {
				out = append(out, Version{ID: aws.ToString(e.VersionId), Stages: stages})
			}
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
	return nil, &ReadError{SecretID: id, Stage: "versions", Err: fmt.Errorf("more than %d pages of labelled versions", maxListPages)}
}

// readValue reads version v's value and creation time. ok is false, with
// no error, for a version that is not AWSCURRENT and has no string value
// (a pending version not written yet, a binary one): it is left out.
func readValue(ctx context.Context, client API, id string, v Version, optFns []func(*secretsmanager.Options)) (heldVersion, bool, error) {
	label := strings.Join(v.Stages, ", ")
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionId: aws.String(v.ID)}, optFns...)
	var nf *smtypes.ResourceNotFoundException
	switch {
	case err != nil && errors.As(err, &nf) && !v.Has(StageCurrent):
		return heldVersion{}, false, nil
	case err != nil:
		return heldVersion{}, false, &ReadError{SecretID: id, Stage: label, Err: err}
	case aws.ToString(out.SecretString) == "" && v.Has(StageCurrent):
		return heldVersion{}, false, &ReadError{SecretID: id, Stage: label, Err: errors.New("empty or binary value (want a SecretString)")}
	case aws.ToString(out.SecretString) == "":
		return heldVersion{}, false, nil
	}
	v.Created = aws.ToTime(out.CreatedDate)
	return newHeld(v, aws.ToString(out.SecretString)), true, nil
}

func newHeld(v Version, value string) heldVersion {
	return heldVersion{Version: v, value: value, digest: sha256.Sum256([]byte(value))}
}

func (vs Versions) byID(id string) (heldVersion, bool) {
	for _, h := range vs.list {
		if h.ID == id {
			return h, true
		}
	}
	return heldVersion{}, false
}

// Current returns the AWSCURRENT value ("" in the zero Versions).
func (vs Versions) Current() string {
	for _, h := range vs.list {
		if h.Has(StageCurrent) {
			return h.value
		}
	}
	return ""
}

// Find returns the version whose value is value.
func (vs Versions) Find(value string) (Version, bool) {
	for _, h := range vs.list {
		if h.value == value {
			return h.Version, true
		}
	}
	return Version{}, false
}

// accepts reports whether digest is that of a value accepted at now: the
// AWSCURRENT or AWSPREVIOUS value, or the AWSPENDING one within
// PendingWindow of its creation. It compares every held digest in constant
// time, so neither the values nor their lengths show in the timing.
func (vs Versions) accepts(digest [sha256.Size]byte, now time.Time) bool {
	ok := 0
	for _, h := range vs.list {
		ok |= subtle.ConstantTimeCompare(digest[:], h.digest[:]) & boolInt(h.accepted(now))
	}
	return ok == 1
}

func (h heldVersion) accepted(now time.Time) bool {
	switch {
	case h.Has(StageCurrent), h.Has(StagePrevious):
		return true
	case h.Has(StagePending):
		return !h.Created.IsZero() && now.Before(h.Created.Add(PendingWindow))
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
