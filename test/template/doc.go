// Package template holds the tests of the SAM template (template.yaml at the
// repository root); it has no code of its own.
//
// The tests translate the template offline with aws-sam-translator, the
// library behind the AWS::Serverless transform, through
// scripts/translate-template.py, and assert on the plain CloudFormation it
// expands to: cfn-lint on both forms, every requirement of the distribution
// (methods, policies, TTLs, origin access, IAM, queues), the conditions with
// and without a custom domain, the CloudFront Function's code run under Node
// with CloudFront-shaped events, the `sam build` targets, sam/env.json,
// names built from the stack name against their limits, and the IAM
// documents in deploy/ (the deployer's policy, and the CloudFormation service
// role's against the CloudFormation registry's handler permissions for the
// resource types the template creates, through
// scripts/service-role-policy.py).
//
// Go reads no YAML here: the translator is the one parser, the same one
// `sam deploy` uses, so the tests see exactly what CloudFormation receives.
//
// See https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification.html
package template
