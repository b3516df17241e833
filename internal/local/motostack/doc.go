// Package motostack creates, in a moto server, the storage and delivery
// resources of template.yaml — the versioned assets bucket, the
// invalidation queue with its dead-letter queue and redrive policy, the
// bucket's S3 → SQS notifications, and a distribution with the app and
// assets origins — from the template's own resource properties, so that the
// stack the demo and the end-to-end tests run cannot drift from the one that
// deploys. It is the one place the local moto stack comes from.
//
// What moto cannot take is left out and said so where it is read (the
// distribution's custom cache policy, Origin Access Control, certificates);
// a property of a bucket or queue that this package neither applies nor
// knowingly skips is an error, so a change to the template is either built
// here or noticed.
//
// CreateSecrets does the same for the template's Secrets Manager secrets a
// function names by Ref, with values generated as CloudFormation would.
//
// The CloudFormation resource reference:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-template-resource-type-ref.html
package motostack
