// Package pathplan plans CloudFront invalidations for changed S3 objects:
// it turns the keys of S3 event notifications into the fewest invalidation
// paths that still cover every changed file. It is pure — no AWS calls, no
// I/O — so that the rules below can be tested exhaustively and fuzzed.
//
// # Why plan at all
//
// CloudFront bills invalidations per path, not per object: the first 1,000
// paths a month are free (per AWS account), then each path costs $0.005, and a
// wildcard path such as /static/admin/css/* counts as one path however many
// objects it clears. A deploy that invalidates every uploaded file one path at
// a time pays for each of them and soon hits CloudFront's limits on
// invalidations in progress (3,000 file paths, 15 wildcard paths per
// distribution). A blanket /* is one path but empties the whole cache, so
// every visitor afterwards waits for the origin, even when three files changed.
//
// The planner sits between the two. It
//
//   - drops keys that need no invalidation: Django's hashed file names
//     (admin/css/base.6b517d0d5813.css) get a new name whenever their content
//     changes, so no cache ever holds a stale copy of them (see
//     [DefaultImmutablePattern]); keys outside the distribution's origin path
//     are never served, so they are dropped too;
//   - invalidates the remaining files by their exact paths when they fit in
//     the budget ([Options].MaxPaths, 15 by default in the Lambda);
//   - otherwise replaces groups of paths by directory wildcards, choosing the
//     deepest directories that bring the count within the budget, so that
//     the wildcards clear as little as possible of what is still fresh, and
//     only as a last resort the common prefix, ultimately /*;
//   - never carries more than 15 wildcards, which CloudFront would refuse
//     however often the invalidation were retried.
//
// Dropping unchanged files (same ETag as the previous version) needs S3
// calls and is the caller's job; the planner gets only the keys that count.
//
// # CloudFront's path rules
//
// A path starts with "/", is relative to the distribution (not to the
// origin path), is case sensitive, is at most 4,000 characters long, and may
// contain the * wildcard only as its last character. Characters that RFC 1738
// calls unsafe and non-ASCII characters must be percent-encoded, and nothing
// else; * is never encoded. This package also encodes '?', which RFC 1738
// reserves in HTTP paths and CloudFront would read as the start of a query
// string, so a key containing it still names its object. Invalidating a
// path clears every cached variant of it (all query strings, headers and
// cookies). A directory is two objects, /dir and /dir/. See “What you need to know when invalidating files”:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html
// and the pricing and limits:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PayingForInvalidation.html
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/InvalidationLimits.html
//
// How this package applies them, including the cases CloudFront's rules
// leave open (keys that contain *, index.html, directory markers, paths that
// are too long), is documented on [NewPlan].
package pathplan
