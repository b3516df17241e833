// Package rotate_test runs the built rotate bootstrap under the local Lambda
// Runtime API against moto's Secrets Manager and CloudFront: the four
// rotation steps on a secret that moto's RotateSecret set up, the
// distribution's X-Origin-Verify header changed under its ETag, the
// version labels moved, and the scheduled header check putting AWSCURRENT
// back after a stack update.
//
// Where moto 5.2.1 differs from AWS (checked in its source):
//   - RotateSecret invokes the rotation Lambda in Docker; without Docker
//     (its "lambda use_docker false" config) it calls a stand-in that does
//     nothing. It still leaves the secret as AWS does when it invokes the
//     function — an AWSPENDING version without a value, rotation enabled —
//     so this test then sends the four step events to the real function
//     itself, as Secrets Manager would. moto also ignores a failed step, and
//     refuses a new rotation while AWSPENDING sits on the AWSCURRENT version
//     (AWS allows it; finishSecret removes the label anyway).
//   - UpdateDistribution accepts any non-empty IfMatch (AWS answers
//     PreconditionFailed to a stale ETag) and keeps the ETag it had. The
//     stale-ETag retry is covered by the package's unit tests.
//   - ListSecretVersionIds reports the time of the call as every version's
//     CreatedDate (GetSecretValue has the real one, which the function
//     uses), and a missing secret there is a 500, not
//     ResourceNotFoundException. The time bounds on pending versions (20
//     and 30 minutes) are covered by the package's unit tests.
package rotate_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
)

const (
	firstValue   = "first-origin-value"
	partnerValue = "partner-origin-value"
)

func TestRotation(t *testing.T) {
	testenv.Integration(t)
	m := testenv.StartMoto(t)
	ctx := t.Context()
	sm := secretsmanager.NewFromConfig(m.Config)
	cf := m.CloudFront()

	secretARN := createSecret(t, sm)
	distID := createDistribution(t, cf)
	fn := testenv.StartFunction(t, testenv.BuildBootstrap(t, "./functions/rotate"),
		append(m.Env(), "DISTRIBUTION_ID="+distID, "ORIGIN_ID=App", "SETTLE_TIME=2s"), 30*time.Second)

	rotator := motoLambda(t, m)
	token := startRotation(t, sm, secretARN, rotator)
	stages := versionStages(t, sm, secretARN)
	if got := stages[token]; !slices.Equal(got, []string{"AWSPENDING"}) {
		t.Fatalf("after RotateSecret: version %s has stages %v, want [AWSPENDING]", token, got)
	}

	step := func(name string) {
		t.Helper()
		payload, _ := json.Marshal(events.SecretsManagerSecretRotationEvent{Step: name, SecretID: secretARN, ClientRequestToken: token})
		res, err := fn.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("%s: invoke: %v", name, err)
		}
		if res.Error != nil {
			t.Fatalf("%s: function error %v", name, res.Error)
		}
	}

	step("createSecret")
	pending := value(t, sm, secretARN, "AWSPENDING")
	if len(pending) != 52 || pending == firstValue {
		t.Fatalf("createSecret: pending value %q, want 52 new random characters", pending)
	}
	step("createSecret") // Secrets Manager may retry a step: nothing changes
	if got := value(t, sm, secretARN, "AWSPENDING"); got != pending {
		t.Errorf("createSecret again: pending value changed from %q to %q", pending, got)
	}
	if got := originHeader(t, cf, distID); got != firstValue {
		t.Errorf("before setSecret: X-Origin-Verify %q, want the first value", got)
	}

	start := time.Now()
	step("setSecret")
	if took := time.Since(start); took < time.Second {
		t.Errorf("setSecret returned after %s, want it to wait for the pending version to be SETTLE_TIME (2s) old", took)
	}
	if got := originHeader(t, cf, distID); got != pending {
		t.Errorf("after setSecret: X-Origin-Verify %q, want the pending value %q", got, pending)
	}
	for _, h := range []struct{ origin, name, want string }{
		{"App", "X-App-Tag", "app-tag"},
		{"Partner", "X-Origin-Verify", partnerValue},
	} {
		if got := originHeaders(t, cf, distID)[h.origin+" "+h.name]; got != h.want {
			t.Errorf("after setSecret: origin %s header %s %q, want %q (untouched)", h.origin, h.name, got, h.want)
		}
	}
	step("testSecret")
	if got := value(t, sm, secretARN, "AWSCURRENT"); got != firstValue {
		t.Errorf("before finishSecret: AWSCURRENT %q, want the first value", got)
	}
	step("finishSecret")
	for stage, want := range map[string]string{"AWSCURRENT": pending, "AWSPREVIOUS": firstValue} {
		if got := value(t, sm, secretARN, stage); got != want {
			t.Errorf("after finishSecret: %s %q, want %q", stage, got, want)
		}
	}
	step("finishSecret") // already current: nothing to do
	if got := value(t, sm, secretARN, "AWSCURRENT"); got != pending {
		t.Errorf("finishSecret again: AWSCURRENT %q, want %q", got, pending)
	}

	t.Run("testSecret fails when the distribution does not send the value", func(t *testing.T) {
		token := startRotation(t, sm, secretARN, rotator)
		payload, _ := json.Marshal(events.SecretsManagerSecretRotationEvent{Step: "createSecret", SecretID: secretARN, ClientRequestToken: token})
		if res, err := fn.Invoke(ctx, payload); err != nil || res.Error != nil {
			t.Fatalf("createSecret: %v %v", err, res.Error)
		}
		payload, _ = json.Marshal(events.SecretsManagerSecretRotationEvent{Step: "testSecret", SecretID: secretARN, ClientRequestToken: token})
		res, err := fn.Invoke(ctx, payload)
		if err != nil {
			t.Fatal(err)
		}
		want := &runtimeapi.FunctionError{Type: "StepError"}
		if res.Error == nil || res.Error.Type != want.Type || !strings.Contains(res.Error.Message, "do not carry the pending value") {
			t.Errorf("testSecret before setSecret: got error %+v, want a StepError saying the header does not carry the value", res.Error)
		}

		// This rotation has an AWSPREVIOUS to drop: setSecret asks moto's
		// GetDistribution whether the last change is deployed first.
		payload, _ = json.Marshal(events.SecretsManagerSecretRotationEvent{Step: "setSecret", SecretID: secretARN, ClientRequestToken: token})
		if res, err := fn.Invoke(ctx, payload); err != nil || res.Error != nil {
			t.Fatalf("second rotation's setSecret: %v %+v", err, res.Error)
		}
		if got, want := originHeader(t, cf, distID), value(t, sm, secretARN, "AWSPENDING"); got != want {
			t.Errorf("second rotation's setSecret: X-Origin-Verify %q, want the pending value %q", got, want)
		}
	})

	t.Run("the header check", func(t *testing.T) {
		check := func() {
			t.Helper()
			payload, _ := json.Marshal(events.SecretsManagerSecretRotationEvent{Step: "checkOriginHeader", SecretID: secretARN})
			if res, err := fn.Invoke(ctx, payload); err != nil || res.Error != nil {
				t.Fatalf("checkOriginHeader: %v %+v", err, res.Error)
			}
		}
		// The second rotation above is under way: its pending value stays.
		pending := value(t, sm, secretARN, "AWSPENDING")
		check()
		if got := originHeader(t, cf, distID); got != pending {
			t.Errorf("rotation under way: X-Origin-Verify %q, want the pending value %q", got, pending)
		}
		// A stack update puts the creation-time value back.
		setOriginHeader(t, cf, distID, firstValue)
		check()
		if got, want := originHeader(t, cf, distID), value(t, sm, secretARN, "AWSCURRENT"); got != want {
			t.Errorf("after a stack update and the check: X-Origin-Verify %q, want AWSCURRENT %q", got, want)
		}
		if got := originHeaders(t, cf, distID)["Partner X-Origin-Verify"]; got != partnerValue {
			t.Errorf("after the check: Partner's X-Origin-Verify %q, want %q (untouched)", got, partnerValue)
		}
	})
}

// setOriginHeader sets the App origin's X-Origin-Verify to value, as a
// CloudFormation stack update does with the template's creation-time value.
func setOriginHeader(t *testing.T, cf *cloudfront.Client, id, value string) {
	t.Helper()
	out, err := cf.GetDistributionConfig(t.Context(), &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out.DistributionConfig.Origins.Items {
		if aws.ToString(o.Id) != "App" {
			continue
		}
		for j, h := range o.CustomHeaders.Items {
			if aws.ToString(h.HeaderName) == "X-Origin-Verify" {
				out.DistributionConfig.Origins.Items[i].CustomHeaders.Items[j].HeaderValue = aws.String(value)
			}
		}
	}
	if _, err := cf.UpdateDistribution(t.Context(), &cloudfront.UpdateDistributionInput{
		Id: aws.String(id), IfMatch: out.ETag, DistributionConfig: out.DistributionConfig,
	}); err != nil {
		t.Fatal(err)
	}
}

func createSecret(t *testing.T, sm *secretsmanager.Client) string {
	t.Helper()
	out, err := sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{
		Name: aws.String("djfront-origin-verify"), SecretString: aws.String(firstValue),
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	return aws.ToString(out.ARN)
}

// createDistribution makes the template's two origins, the API with the
// X-Origin-Verify header and the bucket, and a third with a header of the
// same name.
func createDistribution(t *testing.T, cf *cloudfront.Client) string {
	t.Helper()
	out, err := cf.CreateDistribution(t.Context(), &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String("djfront-rotation-test"),
		Comment:         aws.String("djfront rotation test"),
		Enabled:         aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(3), Items: []cftypes.Origin{
			customOrigin("App", "abc123.execute-api.us-east-1.amazonaws.com",
				"X-Origin-Verify", firstValue, "X-App-Tag", "app-tag"),
			// Another origin the user added, guarded by its own secret in a
			// header of the same (common) name: never rotated, and never
			// sent this secret.
			customOrigin("Partner", "partner.example.com", "X-Origin-Verify", partnerValue),
			{
				Id:             aws.String("Assets"),
				DomainName:     aws.String("djfront-assets.s3.us-east-1.amazonaws.com"),
				S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")},
			},
		}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{
			TargetOriginId:       aws.String("App"),
			ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId:        aws.String("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"), // CachingDisabled
		},
	}})
	if err != nil {
		t.Fatalf("create distribution: %v", err)
	}
	return aws.ToString(out.Distribution.Id)
}

// customOrigin is an HTTPS-only custom origin with the custom headers
// nameValues lists as name, value, name, value...
func customOrigin(id, domain string, nameValues ...string) cftypes.Origin {
	var headers []cftypes.OriginCustomHeader
	for i := 0; i+1 < len(nameValues); i += 2 {
		headers = append(headers, cftypes.OriginCustomHeader{HeaderName: aws.String(nameValues[i]), HeaderValue: aws.String(nameValues[i+1])})
	}
	return cftypes.Origin{
		Id:         aws.String(id),
		DomainName: aws.String(domain),
		CustomOriginConfig: &cftypes.CustomOriginConfig{
			HTTPPort: aws.Int32(80), HTTPSPort: aws.Int32(443),
			OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpsOnly,
		},
		CustomHeaders: &cftypes.CustomHeaders{Quantity: aws.Int32(int32(len(headers))), Items: headers},
	}
}

// startRotation does what RotateSecret does before it invokes the
// function, named by fnARN: with moto's Docker-free Lambda, a no-op stands
// in for it.
func startRotation(t *testing.T, sm *secretsmanager.Client, secretARN, fnARN string) string {
	t.Helper()
	out, err := sm.RotateSecret(t.Context(), &secretsmanager.RotateSecretInput{
		SecretId:          aws.String(secretARN),
		RotationLambdaARN: aws.String(fnARN),
		RotationRules:     &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)},
	})
	if err != nil {
		t.Fatalf("rotate secret: %v", err)
	}
	return aws.ToString(out.VersionId)
}

// motoLambda registers a Lambda function in moto, without Docker, and
// returns its ARN. moto needs an IAM role for it; the SDK has no IAM or
// Lambda client in this module, so both calls are signed by hand.
func motoLambda(t *testing.T, m *testenv.Moto) string {
	t.Helper()
	post(t, m, "", "/moto-api/config", "application/json", `{"lambda": {"use_docker": false}}`)
	form := url.Values{
		"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"djfront-rotate"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}
	post(t, m, "iam", "/", "application/x-www-form-urlencoded", form.Encode())
	fn, _ := json.Marshal(map[string]any{
		"FunctionName": "djfront-rotate", "Runtime": "provided.al2023", "Handler": "bootstrap",
		"Role": "arn:aws:iam::123456789012:role/djfront-rotate",
		"Code": map[string]string{"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}, // an empty zip
	})
	body := post(t, m, "lambda", "/2015-03-31/functions", "application/json", string(fn))
	var out struct{ FunctionArn string }
	if err := json.Unmarshal(body, &out); err != nil || out.FunctionArn == "" {
		t.Fatalf("create function: %s (%v)", body, err)
	}
	return out.FunctionArn
}

// post sends body to moto, SigV4-signed for service when it is not empty
// (moto picks the service from the signature's scope).
func post(t *testing.T, m *testenv.Moto, service, path, contentType, body string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, m.Endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if service != "" {
		creds, err := m.Config.Credentials.Retrieve(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, m.Config.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s (%s): status %s: %s", path, service, resp.Status, buf.String())
	}
	return buf.Bytes()
}

func versionStages(t *testing.T, sm *secretsmanager.Client, id string) map[string][]string {
	t.Helper()
	d, err := sm.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return d.VersionIdsToStages
}

func value(t *testing.T, sm *secretsmanager.Client, id, stage string) string {
	t.Helper()
	out, err := sm.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionStage: aws.String(stage)})
	if err != nil {
		t.Fatalf("get %s value: %v", stage, err)
	}
	return aws.ToString(out.SecretString)
}

// originHeader is the App origin's X-Origin-Verify value.
func originHeader(t *testing.T, cf *cloudfront.Client, id string) string {
	t.Helper()
	v, ok := originHeaders(t, cf, id)["App X-Origin-Verify"]
	if !ok {
		t.Fatalf("distribution %s: origin App has no X-Origin-Verify header", id)
	}
	return v
}

// originHeaders maps "ORIGIN-ID HEADER-NAME" to the value of every origin
// custom header of distribution id.
func originHeaders(t *testing.T, cf *cloudfront.Client, id string) map[string]string {
	t.Helper()
	out, err := cf.GetDistributionConfig(t.Context(), &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{}
	for _, o := range out.DistributionConfig.Origins.Items {
		if o.CustomHeaders == nil {
			continue
		}
		for _, h := range o.CustomHeaders.Items {
			headers[aws.ToString(o.Id)+" "+aws.ToString(h.HeaderName)] = aws.ToString(h.HeaderValue)
		}
	}
	return headers
}
