// Package pathplan plans CloudFront invalidations for changed S3 objects:
// [NewPlan] turns the keys of S3 event notifications into the fewest
// invalidation paths that still cover every changed file, and
// [CallerReference] names the invalidation so that a retry asks for the same
// one. It is pure — no AWS calls, no I/O — so that the rules below can be
// tested exhaustively and fuzzed. The invalidate Lambda's I/O (reading the
// events, looking up object versions, calling CloudFront) is package
// internal/invalidate, which hands this package the keys that changed.
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
// calls and is the caller's job (see “Unchanged content” in package
// internal/invalidate); the planner gets only the keys that count.
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
// cookies). A directory is two objects, /dir and /dir/. See “What you need
// to know when invalidating files”:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html
// and the pricing and limits:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PayingForInvalidation.html
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/InvalidationLimits.html
//
// # Which keys count
//
// [NewPlan] takes the keys of created and of removed objects: both change
// what CloudFront must serve. A key in both lists counts as removed. Each
// distinct key is counted once (Plan.Keys) and then, in this order:
//
//   - skipped as outside (Plan.Outside) when it is not under the origin
//     path, which the distribution never serves, or is empty, which names
//     no object ([Options.ObjectPath]);
//   - skipped as immutable (Plan.Immutable) when it was created, lies under
//     [Options].StaticPrefix and matches [Options].Immutable
//     ([Options.SkipsImmutable]);
//   - otherwise invalidated.
//
// A removal is never skipped as immutable: a hashed name that disappears
// must stop being served. (Django's ManifestStaticFilesStorage saves some
// intermediate hashed names and deletes them in a later pass, so a
// collectstatic run costs a path or two for those.) Media — keys outside
// StaticPrefix — never count as immutable: uploads reuse names for new
// content (django-storages with file_overwrite=False picks a free name,
// which may be one deleted before), so a deleted upload must leave the
// cache and the next upload of its name must not be served the previous
// one's bytes.
//
// # The paths of one key
//
// A key that counts is invalidated at its object path, "/" + the key
// without the origin path, encoded as above, with these cases that
// CloudFront's rules leave open:
//
//   - a key named index.html (its last segment) also invalidates its
//     directory, which CloudFront caches as two objects, "/dir/" and "/dir"
//     (only "/" at the root). Both get exact paths: a wildcard "/dir*"
//     would cover all three in one path but clear every file under /dir/
//     and every sibling starting with "dir" too;
//   - a directory marker (a key ending in "/", as the S3 console creates)
//     is an object of its own and is invalidated as exactly that object,
//     "/dir/", not as the files under it;
//   - a key containing '*' would turn into a wildcard in the middle of a
//     path, and CloudFront's matching of an encoded %2A is undocumented, so
//     such a key is covered by a wildcard ending just before its first '*'
//     ("a/b*c.css" by "/a/b*"), which matches the object however a viewer
//     spells the star;
//   - a path whose encoded form is longer than [MaxPathLength] is replaced
//     by the wildcard of its deepest directory that fits (S3's 1,024-byte
//     key limit keeps real keys well below it).
//
// # Choosing wildcards
//
// Paths covered by a wildcard of the plan are dropped. When more than
// [Options].MaxPaths remain, directories are replaced by their wildcards
// ("/a/b/*" covers everything under /a/b/) until the count fits. Without
// knowing what else the bucket holds, depth is the measure of how much a
// wildcard clears: a deeper one clears a subset of what any shallower one
// over it clears. So the planner wants the fewest wildcards at depth 0,
// then the fewest at depth 1, and so on — "/*" only when nothing else fits,
// and two wildcards deep in the tree rather than one over both — and then
// the fewest paths.
//
// CloudFront refuses more than [MaxWildcards] wildcard paths in progress,
// so no plan carries more, whatever MaxPaths allows: wildcards are chosen
// among the covers with at most MaxWildcards wildcards (the directory
// wildcards and those that keys with '*' or too long a path bring), and
// the paths beyond them stay exact. With MaxPaths 3,000, a deploy that
// changed 5,000 files under 40 directories gets the few wildcards over the
// largest directories and exact paths for the rest, not 15 paths in all.
//
// The planner decides one depth at a time, from the root down (coalesce.go):
//
//   - the first wildcards go to the deepest depth d at which wildcards can
//     make the plan fit: no plan fits with all its wildcards deeper;
//   - at d it takes the fewest wildcards with which wildcards one level
//     deeper can still make the plan fit — the fewest any plan with no
//     wildcard above d needs — choosing, among the directories that do
//     it, those with which the plan fits with its further wildcards
//     deepest (or with none at all), then those that save the most paths;
//   - then it goes on below d the same way until the plan fits.
//
// Each step is a small knapsack over the directories at one depth, so
// planning takes time linear in the keys at any MaxPaths (BenchmarkNewPlan,
// bench/README.md). The first depth and its count are the best possible;
// below it a choice made at one depth is not revisited, so a plan can carry
// a wildcard more at some deeper depth than the best one. An exhaustive
// search over every set of directories agrees with it on small random trees
// (TestNewPlanOptimal); on random trees of up to 65 keys five levels deep,
// the exact search this package used before (seconds on a deep tree with a
// large budget) found a better plan for about 1 tree in 200, by a wildcard
// one level deeper or a path fewer.
package pathplan
