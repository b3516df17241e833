package sitecheck

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// errNotPublic is why the checker refused to connect: a host it was not
// named resolved to an address on this machine or its networks.
var errNotPublic = errors.New("not a public address")

// newTransport returns the checker's own transport: http.DefaultTransport's
// settings, but dialling through a dialGuard for the hosts opts names, no
// proxy (a proxy would connect where the guard cannot see the address),
// and with opts.Insecure any certificate.
func newTransport(opts Options) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	named := []string{opts.URL.Hostname()}
	if opts.Origin != nil {
		named = append(named, opts.Origin.Hostname())
	}
	t.DialContext = newDialGuard(named...).DialContext
	if opts.Insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // Options.Insecure asks for exactly this
	}
	return t
}

// dialGuard connects to any address of the hosts the user named (the
// site's and the origin's, which may be loopback: the local stack), and to
// public addresses only for any other host (a neighbour or a CDN domain a
// page links to). It judges the address it connects to, after the name is
// resolved, so a name that resolves to a private address at dial time (DNS
// rebinding) is refused as an address written out is.
type dialGuard struct {
	named map[string]bool // lowercase, no port, no brackets
	net.Dialer
}

// newDialGuard returns a dialGuard for the named hosts (no ports), with
// http.DefaultTransport's dial timeout and keep-alive.
func newDialGuard(named ...string) *dialGuard {
	g := &dialGuard{named: map[string]bool{}, Dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
	for _, h := range named {
		g.named[strings.ToLower(h)] = true
	}
	return g
}

// DialContext connects to addr (host:port) as http.Transport.DialContext
// does; for a host not named, only to a public address (errNotPublic).
func (g *dialGuard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if g.named[strings.ToLower(host)] {
		return g.Dialer.DialContext(ctx, network, addr)
	}
	d := g.Dialer
	d.Control = func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %q is no address", errNotPublic, address)
		}
		kind := nonPublic(ap.Addr())
		switch {
		case kind == "":
			return nil
		case host != ap.Addr().String():
			kind = "at " + ap.Addr().String() + ", " + kind
		}
		return fmt.Errorf("%w: %s is %s; only the site's and the origin's hosts may be", errNotPublic, host, kind)
	}
	return d.DialContext(ctx, network, addr)
}

// reserved are the blocks, besides those net/netip names, that are no
// public host's: RFC 6890's "this network", shared (carrier NAT), IETF
// protocol, benchmarking and reserved space, and the local-use NAT64
// prefix.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// nat64 is the well-known NAT64 prefix (RFC 6052): its addresses carry an
// IPv4 address in their last 32 bits, judged as that address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// nonPublic names the kind of address a is when it is on this machine or
// its networks rather than a public host's, or "" when it is public.
func nonPublic(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if nat64.Contains(a) {
		b := a.As16()
		return nonPublic(netip.AddrFrom4([4]byte(b[12:])))
	}
	switch {
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsMulticast():
		return "a multicast address"
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return "a reserved address"
		}
	}
	return ""
}
