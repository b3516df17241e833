package pathplan

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
)

// referencePrefix starts every caller reference, so that the invalidations
// this project creates are recognizable among a distribution's others.
const referencePrefix = "djfront-"

// CallerReference returns the CallerReference for an invalidation of paths
// on behalf of the batch of messages (or events) with the given ids:
// "djfront-" followed by the hex SHA-256 of both sets, 72 characters in all
// (CloudFront allows 128).
//
// It depends only on the sets: not on order, not on repeats. So a retried
// batch — the same messages delivered again — asks for the same invalidation
// with the same reference, and CloudFront returns the existing invalidation
// instead of creating a second one; a different batch or different paths
// get a different reference, because CloudFront rejects a reused reference
// with different paths (InvalidationBatchAlreadyExists).
//
// See https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_InvalidationBatch.html
func CallerReference(ids []string, paths []string) string {
	h := sha256.New()
	writeSet(h, ids)
	writeSet(h, paths)
	return referencePrefix + hex.EncodeToString(h.Sum(nil))
}

// writeSet writes the distinct strings of s to h in sorted order, each
// preceded by its length, after their count, so that no two different pairs
// of sets hash the same input.
func writeSet(h hash.Hash, s []string) {
	s = slices.Compact(slices.Sorted(slices.Values(s)))
	h.Write(binary.AppendUvarint(nil, uint64(len(s))))
	for _, e := range s {
		h.Write(binary.AppendUvarint(nil, uint64(len(e))))
		h.Write([]byte(e))
	}
}
