package testenv

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/djfront/djfront/internal/local/motoserver"
)

// Moto is a moto server (https://docs.getmoto.org/en/latest/docs/server_mode.html)
// on a loopback port: S3, SQS, CloudFront and the other AWS services moto
// emulates, behind one endpoint.
type Moto struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	// Config reaches the server: static credentials, motoserver.Region and
	// BaseEndpoint set to Endpoint. S3 clients also need UsePathStyle; see
	// S3.
	Config aws.Config
}

// StartMoto starts the moto server (motoserver.Start) and returns once it
// answers. It is stopped when tb ends; its output is logged if tb failed.
func StartMoto(tb testing.TB) *Moto {
	tb.Helper()
	Python(tb, "moto.server")
	ctx, cancel := readyContext(tb)
	defer cancel()
	srv, err := motoserver.Start(ctx, nil, serverOutput)
	if err != nil {
		tb.Fatal(err)
	}
	stopAtCleanup(tb, srv.Process)
	return &Moto{Endpoint: srv.Endpoint, Config: motoserver.Config(srv.Endpoint)}
}

// Reset empties every emulated service (POST /moto-api/reset).
func (m *Moto) Reset(tb testing.TB) {
	tb.Helper()
	resp, err := http.Post(m.Endpoint+"/moto-api/reset", "", nil)
	if err != nil {
		tb.Fatalf("reset moto: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("reset moto: got status %s, want 200", resp.Status)
	}
}

// Env returns the environment that points a Lambda function's AWS SDK at
// the server (motoserver.Env).
func (m *Moto) Env() []string { return motoserver.Env(m.Endpoint) }

// S3 returns an S3 client for the server, with path-style addressing.
func (m *Moto) S3() *s3.Client { return motoserver.NewS3(m.Config) }

// SQS returns an SQS client for the server.
func (m *Moto) SQS() *sqs.Client { return sqs.NewFromConfig(m.Config) }

// CloudFront returns a CloudFront client for the server.
func (m *Moto) CloudFront() *cloudfront.Client { return cloudfront.NewFromConfig(m.Config) }
