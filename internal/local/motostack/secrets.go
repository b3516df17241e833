package motostack

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/local/samlocal"
)

// secretType is the CloudFormation type of a Secrets Manager secret.
const secretType = "AWS::SecretsManager::Secret"

// secretSkipped are the secret properties a local stack leaves out: the
// description, and GenerateSecretString's character rules, which an
// alphanumeric value always meets.
var secretSkipped = []string{"Description"}

// generatedLength is GenerateSecretString's default PasswordLength.
const generatedLength = 32

// alphanumerics are the characters of a generated secret value.
const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Secret is a Secrets Manager secret of the template, created in moto.
type Secret struct {
	// ARN is the secret's ARN in moto, what a function's *_SECRET_ARN
	// variable names.
	ARN string
	// Value is its SecretString (AWSCURRENT).
	Value string
}

// CreateSecrets creates the template's secrets ids in the moto server cfg
// reaches (see motoserver.Config), as CloudFormation would: a
// GenerateSecretString secret gets a fresh random value of its
// PasswordLength (alphanumeric, so within any ExcludeCharacters), a
// SecretString secret its value. name stands in for the stack's name in
// the secrets' names, as Options.Name does.
func CreateSecrets(ctx context.Context, tpl *samlocal.Template, cfg aws.Config, name string, ids []string) (map[string]Secret, error) {
	client := secretsmanager.NewFromConfig(cfg)
	out := make(map[string]Secret, len(ids))
	for _, id := range ids {
		props, err := tpl.Resource(id, secretType)
		if err != nil {
			return nil, err
		}
		value, err := secretValue(id, props)
		if err != nil {
			return nil, err
		}
		res, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name:         aws.String(name + "-" + id),
			SecretString: aws.String(value),
		})
		if err != nil {
			return nil, fmt.Errorf("create secret %s: %w", id, err)
		}
		out[id] = Secret{ARN: aws.ToString(res.ARN), Value: value}
	}
	return out, nil
}

// secretValue returns the value CloudFormation would give the secret id.
func secretValue(id string, props map[string]any) (string, error) {
	if err := known(id, props, append([]string{"GenerateSecretString", "SecretString"}, secretSkipped...)); err != nil {
		return "", err
	}
	if s, ok := props["SecretString"].(string); ok {
		return s, nil
	}
	gen, ok := props["GenerateSecretString"].(map[string]any)
	if !ok {
		return "", fmt.Errorf("%s: want a literal SecretString or GenerateSecretString", id)
	}
	n := generatedLength
	if v, ok := gen["PasswordLength"]; ok {
		var err error
		if n, err = number(gen, "PasswordLength"); err != nil || n < 1 || n > 4096 {
			return "", fmt.Errorf("%s: GenerateSecretString.PasswordLength %v: want 1 to 4096", id, v)
		}
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alphanumerics[randIntn(len(alphanumerics))]
	}
	return string(b), nil
}

// randIntn returns a uniform random number in [0, n) from crypto/rand.
func randIntn(n int) int {
	var buf [1]byte
	limit := 256 - 256%n // reject the bytes that would bias the result
	for {
		_, _ = rand.Read(buf[:]) // never fails (crypto/rand)
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}

// String returns the secret's ARN; its value never shows in a log.
func (s Secret) String() string {
	return "secret " + s.ARN + " (" + strconv.Itoa(len(s.Value)) + " characters)"
}
