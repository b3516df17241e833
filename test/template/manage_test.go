package template_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/manageapi"
)

// TestManagement checks the template's side of management invocations:
// the function runs them only through the manage alias (pointing at
// $LATEST), which nothing of the site invokes, and ManagePolicy, the
// separate grant, allows invoking that alias and nothing else; the
// allow-list reaches the function as MANAGE_ALLOW.
func TestManagement(t *testing.T) {
	tpl := deploy(t, translate(t, inFunction), inFunction)
	res := tpl["Resources"].(map[string]any)

	t.Run("the alias the function requires, on $LATEST", func(t *testing.T) {
		checkJSON(t, at(t, res, "ManageAlias"), `{"Type":"AWS::Lambda::Alias","Condition":"ManageOn","Properties":{
			"Description":"Management invocations (djfront manage); see ManagePolicy.",
			"FunctionName":{"Ref":"AppFunction"},"FunctionVersion":"$LATEST","Name":"`+manageapi.Alias+`"}}`)
	})
	t.Run("the grant: invoke the alias, nothing else", func(t *testing.T) {
		checkJSON(t, at(t, res, "ManagePolicy.Properties.PolicyDocument"), `{"Version":"2012-10-17","Statement":[
			{"Sid":"InvokeTheManageAliasOnly","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":{"Ref":"ManageAlias"}}]}`)
	})
	t.Run("the site never invokes the alias", func(t *testing.T) {
		for name, r := range res {
			if r.(map[string]any)["Type"] != "AWS::Lambda::Permission" {
				continue
			}
			props := mustJSON(t, at(t, r, "Properties"))
			if has(r, "Properties.Qualifier") || strings.Contains(props, "ManageAlias") || strings.Contains(props, ":"+manageapi.Alias) {
				t.Errorf("%s grants %s", name, props)
			}
		}
		uri := mustJSON(t, at(t, res, "HttpApi.Properties.Body.paths.$default.x-amazon-apigateway-any-method.x-amazon-apigateway-integration.uri"))
		if !strings.Contains(uri, `:function:${Name}${Qualifier}/invocations"`) || !strings.Contains(uri, `"Qualifier":""`) {
			t.Errorf("integration URI %s, want the unqualified function", uri)
		}
	})
	t.Run("no other grant invokes a function", func(t *testing.T) {
		for name, r := range res {
			if strings.HasPrefix(r.(map[string]any)["Type"].(string), "AWS::IAM::") && name != "ManagePolicy" &&
				strings.Contains(mustJSON(t, r), "lambda:InvokeFunction") {
				t.Errorf("%s grants lambda:InvokeFunction", name)
			}
		}
	})
	t.Run("the allow-list, the code's default", func(t *testing.T) {
		checkJSON(t, at(t, res, "AppFunction.Properties.Environment.Variables.MANAGE_ALLOW"),
			mustJSON(t, strings.Join(appproc.DefaultManageAllow, ",")))
	})
	t.Run("outputs", func(t *testing.T) {
		checkJSON(t, at(t, tpl, "Outputs.ManageFunctionArn.Value"), `{"Ref":"ManageAlias"}`)
		checkJSON(t, at(t, tpl, "Outputs.ManagePolicyArn.Value"), `{"Ref":"ManagePolicy"}`)
	})

	for _, tt := range []struct {
		name   string
		params map[string]string
	}{
		{"management off", map[string]string{"AppMode": "in-function", "ManageCommands": "none"}},
		{"the app elsewhere", noDomain},
	} {
		t.Run(tt.name+": no alias, no grant", func(t *testing.T) {
			tpl := deploy(t, translate(t, tt.params), tt.params)
			for _, path := range []string{"Resources.ManageAlias", "Resources.ManagePolicy", "Outputs.ManageFunctionArn", "Outputs.ManagePolicyArn"} {
				if has(tpl, path) {
					t.Errorf("has %s", path)
				}
			}
		})
	}
	t.Run("management off reaches the function", func(t *testing.T) {
		params := map[string]string{"AppMode": "in-function", "ManageCommands": "none"}
		res := deploy(t, translate(t, params), params)["Resources"]
		checkJSON(t, at(t, res, "AppFunction.Properties.Environment.Variables.MANAGE_ALLOW"), `"`+appproc.ManageOff+`"`)
	})
}

// TestManageCommandsParameter checks ManageCommands' pattern against what
// the function accepts as MANAGE_ALLOW.
func TestManageCommandsParameter(t *testing.T) {
	p := at(t, rawTemplate(t), "Parameters.ManageCommands").(map[string]any)
	pattern := regexp.MustCompile(p["AllowedPattern"].(string))
	for _, tt := range []struct {
		value string
		ok    bool
	}{
		{"migrate,collectstatic,createsuperuser,check,showmigrations", true},
		{"migrate,check,shell", true},
		{"none", true},
		{"migrate", true},
		{"", false},
		{"migrate, check", false},
		{"migrate,,check", false},
		{"migrate --noinput", false},
		{"*", false},
		{"migrate,", false},
	} {
		if got := pattern.MatchString(tt.value); got != tt.ok {
			t.Errorf("ManageCommands %q accepted: got %t, want %t", tt.value, got, tt.ok)
		}
	}
	if desc, _ := p["Description"].(string); !strings.Contains(desc, "shell, dbshell and diffsettings") {
		t.Errorf("description %q does not warn about shell, dbshell and diffsettings", desc)
	}
}
