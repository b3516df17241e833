//go:build linux

package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/local/proctree"
)

// localHost is the viewer host of a local run: djfront local's.
const localHost = "localhost"

// localDefaults returns env (a function's environment, KEY=VALUE) with the
// variables of the app function that the template declares but leaves
// empty set as djfront local sets them, and their names: ALLOWED_HOSTS and
// DJFRONT_HOSTS (localHost); ORIGIN_VERIFY_SECRETS and DJANGO_SECRET_KEY
// (random, for this run) unless their secret's ARN is set; DATABASE_URL,
// unless it or DATABASE_URL_SECRET_ARN is set, djfront local's SQLite file
// in state (.djfront of the project). A variable the template does not
// declare is never added, and a value given (template, shell, env-vars
// file) is kept.
func localDefaults(env []string, state string) ([]string, []string) {
	out, names := slices.Clone(env), []string(nil)
	// set sets name to value unless the template does not declare it, or
	// name or arn (the variable that names its secret instead) is set.
	set := func(name, arn, value string) {
		declared := slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
		if !declared || proctree.Getenv(env, name) != "" || proctree.Getenv(env, arn) != "" {
			return
		}
		out = append(slices.DeleteFunc(out, func(kv string) bool { return strings.HasPrefix(kv, name+"=") }), name+"="+value)
		names = append(names, name)
	}
	set("ALLOWED_HOSTS", "", localHost)
	set("DJFRONT_HOSTS", "", localHost)
	set("ORIGIN_VERIFY_SECRETS", "ORIGIN_VERIFY_SECRET_ARN", rand.Text())
	set("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_SECRET_ARN", rand.Text()+rand.Text())
	set("DATABASE_URL", "DATABASE_URL_SECRET_ARN", "sqlite:///"+(&url.URL{Path: filepath.Join(state, "db.sqlite3")}).EscapedPath())
	return out, names
}

// defaultEvent is the event of djfront invoke without -e for an app
// function: a viewer's GET / of https://localHost/ as API Gateway's HTTP
// API (payload 2.0) delivers it from the distribution, with origin as its
// X-Origin-Verify, if not "".
func defaultEvent(origin string, now time.Time) ([]byte, error) {
	const apiID = "a1b2c3d4e5"
	domain := apiID + ".execute-api.us-east-1.amazonaws.com"
	headers := map[string]string{
		"accept": "text/html", "host": domain, "user-agent": "djfront-invoke",
		"x-forwarded-host": localHost, "x-forwarded-proto": "https", "x-forwarded-port": "443",
		"x-forwarded-for": "127.0.0.1, 127.0.0.1", "true-client-ip": "127.0.0.1",
		"cloudfront-forwarded-proto": "https",
	}
	if origin != "" {
		headers["x-origin-verify"] = origin
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: "/", Headers: headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "$default", AccountID: "123456789012", Stage: "$default", APIID: apiID,
			DomainName: domain, DomainPrefix: apiID, RequestID: "djfront-invoke",
			Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "GET", Path: "/", Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "djfront-invoke",
			},
		},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("default event: %w", err)
	}
	return b, nil
}
