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
// hostforward accepts AWSCURRENT and AWSPREVIOUS, and AWSPENDING for
// secretcache.PendingWindow (an hour) after the version's creation; once
// its values are a minute old it re-reads the secret, and a value they
// refuse waits for that re-read (at most 2 s) before it is refused. Settle
// defaults to that minute: by the time CloudFront starts sending the new
// value, every hostforward instance either knows it or is due to re-read
// and does so before answering, so no viewer gets a 403 while the
// distribution deploys (an instance idle through the whole rotation
// included). The old value stays accepted as AWSPREVIOUS until the next
// rotation.
//
// The time bounds follow from the function's 15-minute timeout, within
// which a rotation that goes well sets the header: setSecret refuses a
// pending version 20 minutes old (maxSetAge) and removes its AWSPENDING, so
// the rotation Secrets Manager keeps retrying stops and the next one starts
// over; if an earlier try put that value on the distribution, it first puts
// AWSCURRENT back and waits for the deployment (see expire). The check
// below puts AWSCURRENT back over a pending value 30 minutes old
// (revertAfter), well before hostforward stops accepting it.
//
// The template also invokes the function every minute with the step
// [StepCheck] ({"Step": "checkOriginHeader", "SecretId": ARN}): it compares
// the header the distribution sends with the secret and puts AWSCURRENT
// there, under the ETag, unless it is already or a rotation is under way.
// That undoes what would otherwise refuse viewers: a stack update that
// restored the creation-time value (CloudFormation resolves the template's
// {{resolve:secretsmanager}} reference only when its text changes), a
// rotation that failed after setSecret, a value set by hand.
//
// Every step is idempotent: Secrets Manager retries a failed step, and a
// step whose work is already done does nothing.
//
// See https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html
// and https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html.
package rotation
