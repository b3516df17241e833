package sitecheck

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
)

func TestNonPublic(t *testing.T) {
	tests := []struct {
		addr, want string
	}{
		{"127.0.0.1", "a loopback address"},
		{"127.8.9.10", "a loopback address"},
		{"::1", "a loopback address"},
		{"::ffff:127.0.0.1", "a loopback address"},
		{"10.1.2.3", "a private address"},
		{"172.16.0.1", "a private address"},
		{"172.31.255.255", "a private address"},
		{"192.168.1.1", "a private address"},
		{"fd00::1", "a private address"},
		{"169.254.169.254", "a link-local address"}, // the instance metadata service
		{"fe80::1", "a link-local address"},
		{"fe80::1%eth0", "a link-local address"},
		{"ff02::1", "a link-local address"},
		{"0.0.0.0", "the unspecified address"},
		{"::", "the unspecified address"},
		{"224.0.0.251", "a link-local address"},
		{"239.1.2.3", "a multicast address"},
		{"0.1.2.3", "a reserved address"},
		{"100.64.0.1", "a reserved address"},
		{"198.18.0.1", "a reserved address"},
		{"255.255.255.255", "a reserved address"},
		{"64:ff9b::a00:1", "a private address"}, // NAT64 of 10.0.0.1
		{"64:ff9b::7f00:1", "a loopback address"},
		{"64:ff9b:1::1", "a reserved address"},

		{"93.184.215.14", ""},
		{"8.8.8.8", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of 8.8.8.8
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := nonPublic(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("nonPublic(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

// TestDialGuard dials a loopback listener by name and by address: allowed
// for a host the user named, refused for any other, after the name is
// resolved (localhost, as a rebinding name would, resolves to loopback),
// before any connection is made.
func TestDialGuard(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan struct{}, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
			accepted <- struct{}{}
		}
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	tests := []struct {
		name    string
		named   []string
		addr    string
		wantErr string // "": connects
	}{
		{"the site, on loopback", []string{"localhost"}, "localhost:" + port, ""},
		{"the site, named in capitals", []string{"LocalHost"}, "localhost:" + port, ""},
		{"the site, a loopback address", []string{"127.0.0.1"}, "127.0.0.1:" + port, ""},
		{"the origin, on loopback", []string{"www.example.com", "127.0.0.1"}, "127.0.0.1:" + port, ""},
		{"a name not named that resolves to loopback", []string{"www.example.com"}, "localhost:" + port, "localhost is at "},
		{"a loopback address not named", []string{"localhost"}, "127.0.0.1:" + port, "127.0.0.1 is a loopback address; only the site's and the origin's hosts may be"},
		{"a private address", []string{"www.example.com"}, "10.0.0.1:443", "10.0.0.1 is a private address"},
		{"the metadata service", []string{"www.example.com"}, "169.254.169.254:80", "169.254.169.254 is a link-local address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newDialGuard(tt.named...).DialContext(context.Background(), "tcp", tt.addr)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("dial %s: %v, want a connection", tt.addr, err)
				}
				c.Close()
				<-accepted
				return
			}
			if err == nil {
				c.Close()
				t.Fatalf("dial %s with %q named: connected, want %q", tt.addr, tt.named, tt.wantErr)
			}
			if !errors.Is(err, errNotPublic) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("dial %s: error %v, want errNotPublic with %q", tt.addr, err, tt.wantErr)
			}
			select {
			case <-accepted:
				t.Errorf("the listener accepted a connection, want none")
			default:
			}
		})
	}
}
