package appproc

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's start time: 100
// on every architecture Lambda runs.
const clockTicks = 100

// loaded is when this package was initialized, ProcessStart's fallback.
var loaded = time.Now()

// ProcessStart returns when this process started, as Lambda's init clock
// sees it: before the Go runtime, and before an AWS_LAMBDA_EXEC_WRAPPER
// script that exec'ed it. Without /proc it returns when the package was
// initialized.
func ProcessStart() time.Time {
	now := time.Now()
	stat, err1 := os.ReadFile("/proc/self/stat")
	uptime, err2 := os.ReadFile("/proc/uptime")
	if err1 != nil || err2 != nil {
		return loaded
	}
	start, ok := startTicks(stat)
	up, err := strconv.ParseFloat(strings.Fields(string(uptime) + " 0")[0], 64)
	if !ok || err != nil {
		return loaded
	}
	age := time.Duration((up - float64(start)/clockTicks) * float64(time.Second))
	if age < now.Sub(loaded)-time.Second || age > time.Hour {
		return loaded // the clocks disagree: trust our own
	}
	return now.Add(-age)
}

// startTicks returns field 22 of /proc/PID/stat, the start time in clock
// ticks after boot.
func startTicks(stat []byte) (int64, bool) {
	i := bytes.LastIndexByte(stat, ')') // comm may hold spaces and parentheses
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[i+1:])) // fields 3 onwards
	if len(fields) < 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(fields[19], 10, 64)
	return n, err == nil
}
