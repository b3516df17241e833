// Package adopt takes a Django project of a user's own — `django-admin
// startproject` with an app that has a model and a form view
// (project_test.go, shared by both tests) — through djfront init to what
// `sam deploy` uploads, and through djfront local, with the real tools
// (docs/adopt.md).
//
// TestAdopt (adopt_test.go):
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
//
// TestOwnProject (local_test.go) is issue 16's promise end to end: it builds
// the wheels (make dist), installs djfront[local] into a fresh Python 3.12
// virtualenv with the project's pinned Django (testdata/requirements.txt,
// from a wheelhouse, never from an index), makes the project, runs djfront
// init and then `djfront local` there, as a user types them, and checks
// through the local edge:
//
//   - the page, with the viewer's host and scheme restored, and the env
//     file's variable in the app's environment;
//   - a form POST with Django's CSRF protection that persists a row;
//   - a forged host refused by hostforward, before the app;
//   - the app a child of the function's runtime process, which the Python
//     runtime's bootstrap handed over to hostforward through the layer's
//     wrapper (the wheel's arm64 hostforward run as this djfront);
//   - an edit of a view restarting the app with the edited code;
//   - Ctrl-C (SIGINT) leaving no process behind;
//   - a second start on the kept database (.djfront/db.sqlite3): the
//     superuser found, the row still there;
//   - djfront invoke of the same function on that database, and with
//     neither an event nor an env-vars file (the built-in GET /);
//
// and that no file of the djfront checkout was touched.
package adopt
