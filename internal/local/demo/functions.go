package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/djfront/djfront/internal/local/motoserver"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/samlocal"
)

// The template's logical ids the stack plays.
const (
	// appFunctionID is the in-function mode's function: the Python runtime
	// with hostforward's layer, the project's code, UPSTREAM_COMMAND.
	appFunctionID = "AppFunction"
	// hostForwardID is the external mode's function, in front of the app.
	hostForwardID = "HostForwardFunction"
	invalidateID  = "InvalidateFunction"
	bucketID      = "AssetsBucket"
)

// CloudFormation types of a Secrets Manager secret and a function alias.
const (
	secretType = "AWS::SecretsManager::Secret"
	aliasType  = "AWS::Lambda::Alias"
)

// stackName stands in for the stack's name (its id) in the names of the
// resources created in moto.
const stackName = "local"

// functionIDs returns the logical ids of the functions the stack runs.
func (s *Stack) functionIDs() []string {
	if s.cfg.App == External {
		return []string{invalidateID, hostForwardID}
	}
	return []string{invalidateID, appFunctionID}
}

// prepare reads the template and makes the stack's functions ready to run
// on this machine (samlocal.Host.Prepare): built from source where the
// template has a BuildMethod, else prebuilt, djfront's artifacts run by
// Config.Self; the Python runtime with Config.Python.
func (s *Stack) prepare(ctx context.Context) error {
	tpl, err := samlocal.ReadTemplate(s.cfg.Template, nil)
	if err != nil {
		return err
	}
	s.tpl, s.runs = tpl, map[string]*samlocal.Runnable{}
	host := &samlocal.Host{Dir: filepath.Join(s.StateDir, "run"), Python: s.cfg.Python,
		Self: s.cfg.Self, SelfVersion: s.cfg.SelfVersion, Log: s.cfg.Logs}
	for _, id := range s.functionIDs() {
		fn, err := tpl.Function(id)
		if err != nil {
			return err
		}
		if s.runs[id], err = host.Prepare(ctx, tpl, fn, fn.Environ(nil, nil)); err != nil {
			return err
		}
	}
	return nil
}

// secretIDs returns the template's secrets the stack's functions name by
// Ref in their environment, sorted.
func (s *Stack) secretIDs() []string {
	var ids []string
	for _, id := range s.functionIDs() {
		for _, ref := range s.tpl.Functions[id].EnvironmentRefs {
			if s.tpl.Resources[ref].Type == secretType && !slices.Contains(ids, ref) {
				ids = append(ids, ref)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// resolvedRefs returns the variables of fn that Ref a resource the stack
// made: a secret (its ARN in moto) or the bucket (its name), sorted.
func (s *Stack) resolvedRefs(fn *samlocal.Function) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(fn.EnvironmentRefs)) {
		ref := fn.EnvironmentRefs[name]
		if secret, ok := s.secrets[ref]; ok {
			out = append(out, name+"="+secret.ARN)
		} else if ref == bucketID {
			out = append(out, name+"="+s.aws.Bucket)
		}
	}
	return out
}

// functionEnv returns the environment of the function id, in order (the
// last value of a name wins): the template's variables, those that Ref the
// stack's secrets and bucket resolved, the moto server's endpoint and
// credentials, extra, the run marker, then what running it here needs
// (samlocal.Runnable.Env).
func (s *Stack) functionEnv(id string, extra ...string) []string {
	fn := s.tpl.Functions[id]
	env := append(fn.Environ(nil, nil), s.resolvedRefs(fn)...)
	env = append(env, motoserver.Env(s.MotoEndpoint)...)
	env = append(env, extra...)
	env = append(env, RunMarker+"="+s.RunID, "AWS_EC2_METADATA_DISABLED=true")
	return append(env, s.runs[id].Env...)
}

// originSecret returns the X-Origin-Verify value the function id trusts, for
// the edge to send: the secret its ORIGIN_VERIFY_SECRET_ARN names, as
// deployed; or, for a template without one, a fresh value with the variable
// that makes the function trust it (ORIGIN_VERIFY_SECRETS).
func (s *Stack) originSecret(id string) (value string, env []string) {
	if secret, ok := s.secrets[s.tpl.Functions[id].EnvironmentRefs["ORIGIN_VERIFY_SECRET_ARN"]]; ok {
		return secret.Value, nil
	}
	value = rand.Text()
	return value, []string{"ORIGIN_VERIFY_SECRETS=" + value}
}

// aliases returns the names of the template's aliases of the function id
// (AWS::Lambda::Alias resources whose FunctionName is a Ref to it, such as
// AppFunction's manage alias), sorted, whatever their Condition.
func (s *Stack) aliases(id string) []string {
	var names []string
	for _, res := range s.tpl.Resources {
		if res.Type != aliasType || !reflect.DeepEqual(res.Properties["FunctionName"], map[string]any{"Ref": id}) {
			continue
		}
		if name, ok := s.tpl.String(res.Properties["Name"]); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// startFunction runs the prepared function id under the Runtime API with
// its template limits and its functionEnv; its log goes to Logs and to
// also, if set.
func (s *Stack) startFunction(ctx context.Context, id string, also io.Writer, extra ...string) (*runtimeapi.Server, error) {
	fn, run := s.tpl.Functions[id], s.runs[id]
	logs := s.prefixed(id)
	if also != nil {
		logs = io.MultiWriter(logs, also)
	}
	srv, err := runtimeapi.Start(ctx, runtimeapi.Function{
		Name:     id,
		Binary:   run.Binary,
		Env:      s.functionEnv(id, extra...),
		Timeout:  fn.Timeout,
		MemoryMB: fn.MemoryMB,
		Logs:     logs,
		Aliases:  s.aliases(id),
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", id, err)
	}
	s.mu.Lock()
	s.funcs = append(s.funcs, srv)
	s.mu.Unlock()
	return srv, nil
}
