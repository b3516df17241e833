package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/djfront/djfront/internal/local/proctree"
)

// usage is what a sandbox's processes hold, summed over all of them.
type usage struct {
	peakRSSKiB int // the sum of each process's peak RSS (VmHWM): shared pages count once per process
	pssKiB     int // the sum of their PSS now: each shared page split among its sharers
	procs      int
	each       []string // "NAME PSS" of each process, for the log
}

// measureUsage reads every process of the sandbox marked by marker.
func measureUsage(marker string) (usage, error) {
	var u usage
	for _, pid := range proctree.Members(marker) {
		dir := "/proc/" + strconv.Itoa(pid)
		hwm, err := kibField(dir+"/status", "VmHWM:")
		if err != nil {
			return u, err
		}
		pss, err := kibField(dir+"/smaps_rollup", "Pss:")
		if err != nil {
			return u, err
		}
		u.peakRSSKiB += hwm
		u.pssKiB += pss
		u.procs++
		comm, _ := os.ReadFile(dir + "/comm")
		u.each = append(u.each, fmt.Sprintf("%s %.1f MiB", bytes.TrimSpace(comm), float64(pss)/1024))
	}
	if u.procs == 0 {
		return u, fmt.Errorf("no process holds %s", marker)
	}
	return u, nil
}

// kibField returns the value of the "NAME: N kB" line of a /proc file.
func kibField(file, name string) (int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte(name)); ok {
			f := bytes.Fields(v)
			if len(f) == 2 && string(f[1]) == "kB" {
				return strconv.Atoi(string(f[0]))
			}
		}
	}
	return 0, fmt.Errorf("%s: no %s line in kB", file, name)
}

// cpuTime returns the CPU time the processes of the sandbox marked by marker
// have used so far: the sum over their threads of /proc's schedstat (time on
// a CPU, in nanoseconds; threads that already exited are not counted). The
// cold start's CPU time depends far less on the machine's load than its wall
// time.
func cpuTime(marker string) (time.Duration, error) {
	var total time.Duration
	for _, pid := range proctree.Members(marker) {
		tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/schedstat")
		if err != nil {
			return 0, err
		}
		for _, f := range tasks {
			b, err := os.ReadFile(f)
			if err != nil {
				continue // the thread exited
			}
			fields := strings.Fields(string(b))
			if len(fields) == 0 {
				return 0, fmt.Errorf("%s: empty", f)
			}
			ns, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", f, err)
			}
			total += time.Duration(ns)
		}
	}
	return total, nil
}
