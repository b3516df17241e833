package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/sam/fixtures"
)

// blobSize is the size of bench/blob/'s download (peersbench/views.py).
const blobSize = 1 << 20

// csrfToken is the form's CSRF secret, sent as the cookie and the field: a
// 32-character secret is a valid token (Django 4.1+), so every POST is the
// same without a page fetched first.
const csrfToken = "peersbenchpeersbenchpeersbench00"

// request is one kind of warm request: its event and what its response must
// be.
type request struct {
	name    string
	payload []byte
	check   func(resp []byte) error
}

// requests returns the requests, the page first (it is also the cold
// start's): built from sam/fixtures' API Gateway events.
func requests() ([]request, error) {
	page, err := fixtureEvent("api-get.json", "/form/")
	if err != nil {
		return nil, err
	}
	blob, err := fixtureEvent("api-get.json", "/bench/blob/")
	if err != nil {
		return nil, err
	}
	post, err := fixtureEvent("api-post-form.json", "/form/")
	if err != nil {
		return nil, err
	}
	form := url.Values{"csrfmiddlewaretoken": {csrfToken}, "name": {"café au lait"}}.Encode()
	post.Cookies = []string{"csrftoken=" + csrfToken}
	post.Body, post.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(form)), true
	post.Headers["content-length"] = strconv.Itoa(len(form))
	want := expectedBlob()
	reqs := []request{
		{name: "page", check: bodyCheck(func(b []byte) bool { return bytes.Contains(b, []byte(`name="csrfmiddlewaretoken"`)) })},
		{name: "1 MiB download", check: bodyCheck(func(b []byte) bool { return bytes.Equal(b, want) })},
		{name: "form POST", check: bodyCheck(func(b []byte) bool { return string(b) == "posted: café au lait" })},
	}
	for i, ev := range []events.APIGatewayV2HTTPRequest{page, blob, post} {
		if reqs[i].payload, err = json.Marshal(ev); err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

// fixtureEvent returns the fixture's event with its path and query replaced
// by path's; a GET fixture keeps no cookies.
func fixtureEvent(name, path string) (events.APIGatewayV2HTTPRequest, error) {
	var ev events.APIGatewayV2HTTPRequest
	raw, err := fixtures.Read(name)
	if err == nil {
		err = json.Unmarshal(raw, &ev)
	}
	if err != nil {
		return ev, fmt.Errorf("fixture %s: %w", name, err)
	}
	ev.RawPath, ev.RequestContext.HTTP.Path, ev.RawQueryString, ev.QueryStringParameters = path, path, "", nil
	if ev.RequestContext.HTTP.Method == "GET" {
		ev.Cookies = nil
	}
	return ev, nil
}

// bodyCheck returns a check of a payload 2.0 response: status 200 and a
// body, base64-decoded if so flagged, that ok accepts.
func bodyCheck(ok func(body []byte) bool) func([]byte) error {
	return func(payload []byte) error {
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(payload, &resp); err != nil {
			return fmt.Errorf("response: %w: %.300s", err, payload)
		}
		body := []byte(resp.Body)
		if resp.IsBase64Encoded {
			var err error
			if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
				return fmt.Errorf("response body: %w", err)
			}
		}
		if resp.StatusCode != 200 || !ok(body) {
			return fmt.Errorf("status %d, base64 %t, %d bytes: %.300q", resp.StatusCode, resp.IsBase64Encoded, len(body), body)
		}
		return nil
	}
}

// expectedBlob is bench/blob/'s body: SHA-256 in counter mode
// (peersbench/views.py).
func expectedBlob() []byte {
	var out []byte
	var counter [8]byte
	for i := uint64(0); len(out) < blobSize; i++ {
		binary.BigEndian.PutUint64(counter[:], i)
		sum := sha256.Sum256(counter[:])
		out = append(out, sum[:]...)
	}
	return out[:blobSize]
}
