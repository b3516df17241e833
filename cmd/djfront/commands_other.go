//go:build !linux

package main

import (
	"context"
	"fmt"
)

// The local stack and djfront invoke run functions under a local Lambda
// Runtime API, which finds an environment's processes in /proc.
func init() {
	for _, name := range []string{"local", "invoke"} {
		commands[name] = command{usage: " (Linux only)", run: func(_ context.Context, e env, _ []string) int {
			fmt.Fprintf(e.stderr, "djfront %s: runs on Linux only (the local Lambda Runtime API finds an environment's processes in /proc); use a Linux machine or VM\n", name)
			return 1
		}}
	}
}
