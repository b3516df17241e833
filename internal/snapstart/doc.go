// Package snapstart speaks the Lambda Runtime API's SnapStart protocol for a
// runtime that aws-lambda-go's loop does not cover (aws-lambda-go v1.55 knows
// nothing of it): when AWS_LAMBDA_INITIALIZATION_TYPE is "snap-start" the
// runtime, once its init is done, runs its before-snapshot work, then calls
// GET /2018-06-01/runtime/restore/next, which returns only after Lambda has
// restored the snapshot (minutes or days later, in another microVM), then
// runs its after-restore work and only then asks for invocations (here:
// lambda.Start, called by the caller once [Run] returned).
//
// In call order, [Run]:
//
//  1. runs Hooks.BeforeSnapshot; an error is posted to /runtime/init/error
//     as Runtime.BeforeSnapshotError;
//  2. calls restore/next and waits, without a timeout, for the restore; a
//     refusal is the init's failure, posted to /runtime/init/error as
//     Runtime.BeforeSnapshotError (as awslambdaric does);
//  3. runs Hooks.AfterRestore within [RestoreBudget] (Lambda's restore limit
//     is 10 s, restore and hooks together); an error is posted to
//     /runtime/restore/error as Runtime.AfterRestoreError.
//
// Either error is returned too: the caller exits, and Lambda discards the
// execution environment.
//
// See https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-custom.html
// and https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html.
package snapstart
