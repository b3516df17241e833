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
// Only what djfront's templates need is implemented. Custom runtimes
// (provided.al2023, provided.al2) run a `bootstrap` executable, built with
// `BuildMethod: makefile` (the Makefile's build-<LogicalId> target) or
// `BuildMethod: go1.x` (go build), or, without a BuildMethod, the one in
// CodeUri as it is. Python runtimes (python3.X) run under a stand-in of the
// managed runtime's bootstrap with the project's interpreter, their layers
// (the template's own, built with `BuildMethod: makefile` or copied from
// ContentUri) in a local /opt, and AWS_LAMBDA_EXEC_WRAPPER honoured as
// Lambda does (Host.Prepare). djfront's prebuilt artifacts, built for
// Lambda's linux/arm64, run on another machine as the djfront command's
// `__lambda NAME` mode, the same code of the same version. Environment
// values that are intrinsic functions resolve only for a Ref to a template
// parameter or a Fn::Sub of parameters; any other intrinsic gives "", as in
// the SAM CLI, unless the env-vars file sets the variable (a plain Ref to a
// resource is also kept by id, Function.EnvironmentRefs, for a local stack
// that made the resource).
//
// The properties of the template's other resources are read with
// Template.Resource, resolved the same way, so that a local stand-in (the
// moto stack of package motostack) is built from what deploys.
//
// SAM template anatomy: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy.html
// sam local invoke: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-cli-command-reference-sam-local-invoke.html
// Building custom runtimes: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/building-custom-runtimes.html
package samlocal
