package invalidate

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestUsePathStyleForLocalEndpoint(t *testing.T) {
	tests := []struct {
		endpoint *string
		want     bool
	}{
		{nil, false},
		{aws.String("http://127.0.0.1:5000"), true},
		{aws.String("http://localhost:4566"), true},
		{aws.String("http://[::1]:5000"), true},
		{aws.String("https://s3.eu-west-1.amazonaws.com"), false},
		{aws.String("https://minio.internal.example"), false},
	}
	for _, tt := range tests {
		t.Run(aws.ToString(tt.endpoint), func(t *testing.T) {
			o := s3.Options{BaseEndpoint: tt.endpoint}
			usePathStyleForLocalEndpoint(&o)
			if got := o.UsePathStyle; got != tt.want {
				t.Errorf("got UsePathStyle %v, want %v", got, tt.want)
			}
		})
	}
}

// TestNewResolvesEndpointFromEnvironment: the option sees the endpoint the
// SDK resolved from AWS_ENDPOINT_URL_S3.
func TestNewResolvesEndpointFromEnvironment(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5000")
	t.Setenv("AWS_REGION", "us-east-1")
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, usePathStyleForLocalEndpoint)
	if !c.Options().UsePathStyle {
		t.Errorf("got UsePathStyle false for AWS_ENDPOINT_URL_S3=http://127.0.0.1:5000, want true")
	}
}
