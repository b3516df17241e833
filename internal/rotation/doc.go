// Package rotation is the Secrets Manager rotation function of the origin
// secret: the X-Origin-Verify value CloudFront adds to every request to the
// HTTP API, which hostforward checks. Secrets Manager invokes it four times
// per rotation, in this order, with the same ClientRequestToken (the new
// version's id):
//
//  1. createSecret: a new random value, stored as the AWSPENDING version;
//  2. setSecret: once that version is [Config.Settle] old and the
//     distribution's last change is deployed (status Deployed: no edge still
//     sends the value before AWSCURRENT, which finishSecret stops accepting),
//     the value is set on the X-Origin-Verify custom header of the HTTP
//     API's origin ([Config.OriginID]; no other origin or header changes),
//     with GetDistributionConfig and UpdateDistribution guarded by the ETag
//     (IfMatch), so a concurrent edit is never overwritten;
//  3. testSecret: the distribution's configuration now holds the new value;
//  4. finishSecret: AWSCURRENT moves to the new version (Secrets Manager
//     moves AWSPREVIOUS to the old one) and AWSPENDING is removed from it.
//
// hostforward accepts AWSCURRENT, AWSPENDING and AWSPREVIOUS (package
// secretcache) and re-reads the secret at most once a minute on a value it
// does not know. Settle defaults to that minute: by the time CloudFront
// starts sending the new value, every hostforward instance either read the
// secret after the value existed or may read it again, so no viewer gets a
// 403 while the distribution deploys. The old value stays accepted as
// AWSPREVIOUS until the next rotation.
//
// Every step is idempotent: Secrets Manager retries a failed step, and a
// step whose work is already done does nothing.
//
// See https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html
// and https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html.
package rotation
