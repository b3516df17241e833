// Package motoserver holds what every local run of the moto server shares
// (https://docs.getmoto.org/en/latest/docs/server_mode.html): the wrapper
// script that makes moto 5.2.1's S3 event notifications carry what AWS's
// carry, and the static credentials and region that reach it.
package motoserver

import (
	_ "embed"
	"os/exec"
)

// Credentials and region of the moto server: any static pair works.
const (
	Region    = "us-east-1"
	AccessKey = "test"
	SecretKey = "test"
)

// script wraps moto.server so that S3 event notifications carry what AWS's
// carry (a zoned eventTime, versionId, sequencer, DeleteMarkerCreated); see
// the file.
//
//go:embed moto_server.py
var script string

// Command returns the command that serves moto on host:port with python (the
// interpreter that has moto: the default python3 on these machines, not
// Debian's), through the wrapper script.
func Command(python, host, port string) *exec.Cmd {
	return exec.Command(python, "-c", script, "-H", host, "-p", port)
}
