// Package samlocal does, without Docker, what the SAM CLI's local commands
// do before they run a function: it reads the functions of a SAM template
// (merged with the template's Globals), resolves their environment the way
// `sam local invoke` does — the template's values, then an --env-vars file
// — and builds them with the template's build method, for the machine it
// runs on.
//
// The template's other resources are kept as written (Template.Resources),
// with Template.String resolving literals, Refs to parameters and Subs of
// parameters, for the local edge (internal/local/localedge), which reads the
// distribution from them.
//
// Only what the project's functions need is implemented: custom runtimes
// (provided.al2023, provided.al2) whose handler is a `bootstrap` executable,
// built with `BuildMethod: makefile` (the Makefile's build-<LogicalId>
// target) or `BuildMethod: go1.x` (go build). Environment values that are
// intrinsic functions resolve only for a Ref to a template parameter or a
// Fn::Sub of parameters; any other intrinsic gives "", as in the SAM CLI,
// unless the env-vars file sets the variable.
//
// The properties of the template's other resources are read with
// Template.Resource, resolved the same way, so that a local stand-in (the
// moto stack of package motostack) is built from what deploys.
//
// SAM template anatomy: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy.html
// sam local invoke: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-cli-command-reference-sam-local-invoke.html
// Building custom runtimes: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/building-custom-runtimes.html
package samlocal
