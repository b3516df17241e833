// Package adopt takes a Django project of a user's own from
// `django-admin startproject` to what `sam deploy` uploads, with the real
// tools (docs/adopt.md):
//
//   - djfront, built and laid out as pip installs the wheel (the command in
//     PREFIX/bin, the linux/arm64 Lambda artifacts in site-packages, built
//     by the Makefile's build-<LogicalId> rules as make dist builds them);
//   - djfront init in the project: the report, then a second run that
//     changes nothing;
//   - cfn-lint on the project's template.yaml, informational checks
//     included: nothing found;
//   - sam build: the app function is the project without the artifacts,
//     the functions and the layer are the prebuilt artifacts;
//   - sam package against moto's S3: the zips sam deploy would upload, the
//     bootstraps arm64 executables, the layer's wrapper executable;
//   - Django's manage.py check --deploy with the djfront package: clean as
//     init leaves it, djfront.W009 once a line after the block sets DEBUG.
//
// Nothing leaves loopback: SAM's version check and telemetry are off, the
// project has no requirements.txt for sam build to fetch from PyPI.
//
// The SAM CLI, cfn-lint and Django come from the project's Python
// environment (.venv, make tools).
package adopt
