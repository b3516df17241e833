package template_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Resources only one app mode has: the function that runs there and what
// comes with it. Every other resource must be the same in both modes.
var (
	externalOnly = []string{"HostForwardFunction", "HostForwardFunctionRole"}
	// And the default Database's (aurora-serverless) resources;
	// TestDatabaseChoices has the other choices'.
	inFunctionOnly = []string{"AppFunction", "AppFunctionRole", "DjangoSecretKey", "HostForwardLayer",
		"ManageAlias", "ManagePolicy",
		// SAM's AutoPublishAlias, which cannot be conditional (SnapStart off:
		// published, never invoked); the version's id is hashed, see modeResources.
		"AppFunctionAliaslive", "AppFunctionVersion",
		"DatabaseVpc", "DatabaseSubnetA", "DatabaseSubnetB", "DatabaseRouteTable", "DatabaseSubnetARoutes",
		"DatabaseSubnetBRoutes", "S3DatabaseEndpoint", "SecretsManagerDatabaseEndpoint", "AppSecurityGroup",
		"AppToDatabase", "DatabaseSecurityGroup", "EndpointSecurityGroup", "DatabaseSubnetGroup", "AuroraCluster",
		"AuroraInstance"}
	// inFunctionOutputs are the outputs only the in-function mode has.
	inFunctionOutputs = []string{"ManageFunctionArn", "ManagePolicyArn"}
	// modeDependent names the resources that exist in both modes but name
	// the mode's function.
	modeDependent = []string{"HostForwardPermission", "HostForwardErrorsAlarm", "HostForwardThrottlesAlarm"}
)

// layerID returns the logical id of the hostforward layer in a translated
// template: SAM appends a hash of the layer's content to it.
func layerID(t *testing.T, res map[string]any) string {
	t.Helper()
	return hashedID(t, res, "AWS::Lambda::LayerVersion", "HostForwardLayer")
}

// hashedID returns the logical id of the one resource of type rtype whose
// id is prefix and the hash SAM appends.
func hashedID(t *testing.T, res map[string]any, rtype, prefix string) string {
	t.Helper()
	var ids []string
	for id, r := range res {
		if r.(map[string]any)["Type"] == rtype && strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("got %s resources %v, want one %s…", rtype, ids, prefix)
	}
	return ids[0]
}

// modeResources returns res with the hashed ids of the layer and of
// AppFunction's published version replaced by their template ids,
// HostForwardLayer and AppFunctionVersion.
func modeResources(t *testing.T, res map[string]any) map[string]any {
	t.Helper()
	out := maps.Clone(res)
	for id := range res {
		for _, prefix := range []string{"HostForwardLayer", "AppFunctionVersion"} {
			if strings.HasPrefix(id, prefix) {
				out[prefix] = out[id]
				delete(out, id)
			}
		}
	}
	return out
}

// TestAppModes deploys the template in both app modes and checks that the
// mode changes only the function that serves the app: the distribution, the
// API, the bucket, the invalidation path and the outputs are identical.
func TestAppModes(t *testing.T) {
	for _, domain := range []struct {
		name                 string
		external, inFunction map[string]string
	}{
		{"no domain", noDomain, inFunction},
		{"custom domain", customDomain, inFunctionCustomDomain},
	} {
		t.Run(domain.name, func(t *testing.T) {
			ext := deploy(t, translate(t, domain.external), domain.external)
			in := deploy(t, translate(t, domain.inFunction), domain.inFunction)
			extRes := modeResources(t, ext["Resources"].(map[string]any))
			inRes := modeResources(t, in["Resources"].(map[string]any))

			for _, tt := range []struct {
				mode       string
				res        map[string]any
				has, lacks []string
			}{
				{"external", extRes, externalOnly, inFunctionOnly},
				{"in-function", inRes, inFunctionOnly, externalOnly},
			} {
				for _, name := range tt.has {
					if _, ok := tt.res[name]; !ok {
						t.Errorf("%s: no %s", tt.mode, name)
					}
				}
				for _, name := range tt.lacks {
					if _, ok := tt.res[name]; ok {
						t.Errorf("%s: has %s, which belongs to the other mode", tt.mode, name)
					}
				}
			}

			skip := slices.Concat(externalOnly, inFunctionOnly, modeDependent)
			for _, name := range slices.Sorted(maps.Keys(extRes)) {
				if slices.Contains(skip, name) {
					continue
				}
				if !reflect.DeepEqual(extRes[name], inRes[name]) {
					g, _ := json.Marshal(inRes[name])
					w, _ := json.Marshal(extRes[name])
					t.Errorf("%s differs between the modes:\nin-function %s\nexternal    %s", name, g, w)
				}
			}
			for name := range inRes {
				if _, ok := extRes[name]; !ok && !slices.Contains(inFunctionOnly, name) {
					t.Errorf("%s exists only in-function and is not listed as such", name)
				}
			}
			inOutputs := maps.Clone(in["Outputs"].(map[string]any))
			for _, name := range inFunctionOutputs {
				delete(inOutputs, name)
			}
			if !reflect.DeepEqual(ext["Outputs"], inOutputs) {
				t.Errorf("outputs differ between the modes")
			}

			// Both functions carry the one name the HTTP API's integration uses.
			checkJSON(t, at(t, inRes, "AppFunction.Properties.FunctionName"),
				mustJSON(t, at(t, extRes, "HostForwardFunction.Properties.FunctionName")))
			checkJSON(t, at(t, extRes, "HostForwardPermission.Properties.FunctionName"), `{"Ref":"HostForwardFunction"}`)
			checkJSON(t, at(t, inRes, "HostForwardPermission.Properties.FunctionName"), `{"Ref":"AppFunction"}`)
			// The app path's alarms watch the mode's function.
			for _, alarm := range []string{"HostForwardErrorsAlarm", "HostForwardThrottlesAlarm"} {
				dims := alarm + ".Properties.Dimensions"
				checkJSON(t, at(t, extRes, dims), `[{"Name":"FunctionName","Value":{"Ref":"HostForwardFunction"}}]`)
				checkJSON(t, at(t, inRes, dims), `[{"Name":"FunctionName","Value":{"Ref":"AppFunction"}}]`)
			}
		})
	}
}

// TestInFunction asserts the in-function mode's function and layer: Django
// on the managed Python runtime, started by hostforward through the layer's
// AWS_LAMBDA_EXEC_WRAPPER, configured from the stack itself.
func TestInFunction(t *testing.T) {
	tpl := deploy(t, translate(t, inFunction), inFunction)
	res := tpl["Resources"].(map[string]any)
	layer := layerID(t, res)
	fn := at(t, res, "AppFunction")
	ownDomain := `{"Fn::GetAtt":["Distribution","DomainName"]}`

	tests := []struct {
		name, path, want string
	}{
		{"a Lambda function", "Type", `"AWS::Lambda::Function"`},
		{"managed Python runtime, 3.12", "Properties.Runtime", `"python3.12"`},
		{"arm64", "Properties.Architectures", `["arm64"]`},
		{"zip of the Django project", "Properties.Code", `{"S3Bucket":"djfront-placeholder","S3Key":"examples/djangoapp"}`},
		{"the hostforward layer", "Properties.Layers", `[{"Ref":"` + layer + `"}]`},
		{"memory for Django's imports", "Properties.MemorySize", `1024`},
		{"time for management commands", "Properties.Timeout", `300`},
		{"logs in the hostforward log group", "Properties.LoggingConfig",
			`{"LogFormat":"JSON","LogGroup":{"Ref":"HostForwardLogGroup"}}`},
		{"the wrapper replaces the runtime client", "Properties.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER",
			`"/opt/djfront-wrapper"`},
		{"gunicorn on loopback at hostforward's port", "Properties.Environment.Variables.UPSTREAM_COMMAND",
			`"exec python3 -m gunicorn --bind 127.0.0.1:$PORT --workers 1 --threads 2 --no-control-socket --timeout 0 demo.wsgi:application"`},
		{"hostforward accepts the site's host", "Properties.Environment.Variables.ALLOWED_HOSTS", ownDomain},
		{"and checks the origin secret, read by ARN", "Properties.Environment.Variables.ORIGIN_VERIFY_SECRET_ARN",
			`{"Ref":"OriginVerifySecret"}`},
		{"sends the app's upstream secret", "Properties.Environment.Variables.UPSTREAM_VERIFY_SECRET_ARN",
			`{"Ref":"UpstreamVerifySecret"}`},
		{"which Django's middleware checks", "Properties.Environment.Variables.DJFRONT_UPSTREAM_SECRETS_SECRET_ARN",
			`{"Ref":"UpstreamVerifySecret"}`},
		{"below API Gateway's 30 s", "Properties.Environment.Variables.UPSTREAM_TIMEOUT", `"25s"`},
		{"Django's hosts", "Properties.Environment.Variables.DJFRONT_HOSTS", ownDomain},
		{"static and media through the distribution", "Properties.Environment.Variables.DJFRONT_CDN_DOMAIN", ownDomain},
		{"from the stack's bucket", "Properties.Environment.Variables.DJFRONT_BUCKET", `{"Ref":"AssetsBucket"}`},
		{"static prefix", "Properties.Environment.Variables.DJFRONT_STATIC_PREFIX", `"static"`},
		{"media prefix", "Properties.Environment.Variables.DJFRONT_MEDIA_PREFIX", `"media"`},
		{"media sandboxed by the distribution (djfront.W007)", "Properties.Environment.Variables.DJFRONT_MEDIA_SANDBOXED", `"true"`},
		{"a generated secret key, read by ARN", "Properties.Environment.Variables.DJANGO_SECRET_KEY_SECRET_ARN",
			`{"Ref":"DjangoSecretKey"}`},
		{"no key in the environment", "Properties.Environment.Variables.DJANGO_SECRET_KEY", `""`},
		{"the default database: Aurora Serverless, its URL without a password", "Properties.Environment.Variables.DATABASE_URL",
			`{"Fn::Sub":"postgres://djfront@${AuroraCluster.Endpoint.Address}:${AuroraCluster.Endpoint.Port}/djfront?sslmode=require&connect_timeout=20&conn_max_age=0"}`},
		{"its own role", "Properties.Role", `{"Fn::GetAtt":["AppFunctionRole","Arn"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkJSON(t, at(t, fn, tt.path), tt.want)
		})
	}

	t.Run("no UPSTREAM_URL: the default loopback one", func(t *testing.T) {
		if has(fn, "Properties.Environment.Variables.UPSTREAM_URL") {
			t.Errorf("got UPSTREAM_URL %v, want none", at(t, fn, "Properties.Environment.Variables.UPSTREAM_URL"))
		}
	})
	t.Run("requests end before the function does", func(t *testing.T) {
		if timeout := number(t, at(t, fn, "Properties.Timeout")); timeout <= 25 {
			t.Errorf("function timeout %vs is not above UPSTREAM_TIMEOUT 25s", timeout)
		}
	})
	t.Run("role: logs, media uploads (not static files), its three secrets, its database", func(t *testing.T) {
		checkJSON(t, at(t, res, "AppFunctionRole.Properties.AssumeRolePolicyDocument"), `{"Version":"2012-10-17",
			"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
		checkJSON(t, at(t, res, "AppFunctionRole.Properties.ManagedPolicyArns"),
			`[`+basicExecutionPolicy+`,`+vpcAccessPolicy+`,{"Ref":"MediaUploadPolicy"}]`)
		checkJSON(t, at(t, res, "AppFunctionRole.Properties.Policies"),
			`[`+readItsSecrets(`,{"Fn::GetAtt":["AuroraCluster","MasterUserSecret.SecretArn"]}`)+`]`)
	})
	t.Run("reserved concurrency as hostforward's", func(t *testing.T) {
		if has(res, "AppFunction.Properties.ReservedConcurrentExecutions") {
			t.Errorf("got ReservedConcurrentExecutions %v by default, want none", at(t, res, "AppFunction.Properties.ReservedConcurrentExecutions"))
		}
		params := map[string]string{"AppMode": "in-function", "HostForwardReservedConcurrency": "10"}
		res := deploy(t, translate(t, params), params)["Resources"]
		checkJSON(t, at(t, res, "AppFunction.Properties.ReservedConcurrentExecutions"), `"10"`)
	})
	t.Run("layer", func(t *testing.T) {
		l := at(t, res, layer)
		checkJSON(t, at(t, l, "Properties.CompatibleArchitectures"), `["arm64"]`)
		runtimes := at(t, l, "Properties.CompatibleRuntimes").([]any)
		if !slices.Contains(runtimes, any(at(t, fn, "Properties.Runtime"))) {
			t.Errorf("layer runtimes %v do not include the function's", runtimes)
		}
		checkJSON(t, at(t, l, "Properties.LayerName"),
			`{"Fn::Join":["-",["djfront-hostforward",{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}]]}`)
		checkJSON(t, at(t, l, "DeletionPolicy"), `"Delete"`)
	})
	t.Run("Django secret key generated, deleted with the stack", func(t *testing.T) {
		checkJSON(t, at(t, res, "DjangoSecretKey.Properties.GenerateSecretString"),
			`{"PasswordLength":64,"ExcludeCharacters":"\"'\\"}`)
		for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			checkJSON(t, at(t, res, "DjangoSecretKey."+policy), `"Delete"`)
		}
	})
	t.Run("custom domain", func(t *testing.T) {
		res := deploy(t, translate(t, inFunctionCustomDomain), inFunctionCustomDomain)["Resources"]
		for _, v := range []string{"ALLOWED_HOSTS", "DJFRONT_HOSTS", "DJFRONT_CDN_DOMAIN"} {
			checkJSON(t, at(t, res, "AppFunction.Properties.Environment.Variables."+v), `"www.example.com"`)
		}
	})
}

// TestInFunctionBuild checks what `sam build` reads from the SAM template
// itself (the translation drops it): the layer is built by the Makefile for
// arm64, and the function by SAM's Python builder from CodeUri's
// requirements.txt (no BuildMethod, so the runtime's own).
func TestInFunctionBuild(t *testing.T) {
	res := rawTemplate(t)["Resources"]
	checkJSON(t, at(t, res, "HostForwardLayer.Metadata"), `{"BuildMethod":"makefile","BuildArchitecture":"arm64"}`)
	checkJSON(t, at(t, res, "HostForwardLayer.Properties.ContentUri"), `"."`)
	if has(res, "AppFunction.Metadata") {
		t.Errorf("AppFunction has Metadata %v, want none (the python3.12 builder)", at(t, res, "AppFunction.Metadata"))
	}
	checkJSON(t, at(t, res, "AppFunction.Properties.CodeUri"), `"examples/djangoapp"`)
}

// mustJSON returns v as JSON text.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
