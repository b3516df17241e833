package motostack_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/local/motostack"
	"github.com/djfront/djfront/internal/local/testenv"
)

// TestCreateSecrets creates the project template's generated secrets in
// moto and reads them back as a function does, by ARN.
func TestCreateSecrets(t *testing.T) {
	testenv.Integration(t)
	m := testenv.StartMoto(t)
	tpl := readTemplate(t, filepath.Join(testenv.RepoRoot(t), "template.yaml"))
	ids := []string{"OriginVerifySecret", "DjangoSecretKey"}
	got, err := motostack.CreateSecrets(t.Context(), tpl, m.Config, "test", ids)
	if err != nil {
		t.Fatal(err)
	}
	client := secretsmanager.NewFromConfig(m.Config)
	for id, wantLen := range map[string]int{"OriginVerifySecret": 48, "DjangoSecretKey": 64} {
		s := got[id]
		if len(s.Value) != wantLen || strings.Trim(s.Value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Errorf("%s: value of %d characters %q, want %d alphanumerics (its PasswordLength)", id, len(s.Value), s.Value, wantLen)
		}
		out, err := client.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.ARN)})
		if err != nil || aws.ToString(out.SecretString) != s.Value {
			t.Errorf("%s: GetSecretValue(%s) = %v, want the created value", id, s.ARN, err)
		}
		if strings.Contains(s.String(), s.Value) {
			t.Errorf("%s: String() %q shows the value", id, s)
		}
	}
	if got["OriginVerifySecret"].Value == got["DjangoSecretKey"].Value {
		t.Error("two secrets got the same value")
	}
	if _, err := motostack.CreateSecrets(t.Context(), tpl, m.Config, "test", []string{"AssetsBucket"}); err == nil || !strings.Contains(err.Error(), "want AWS::SecretsManager::Secret") {
		t.Errorf("a bucket as a secret: %v, want the type named", err)
	}
}
