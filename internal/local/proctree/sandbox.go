package proctree

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// KillSandbox SIGKILLs every process of an execution environment, as Lambda
// does when it ends one: those StopSandbox finds (and stops, so that none
// escapes by forking meanwhile). It returns how many processes it killed.
// It reads /proc, so it works on Linux only; elsewhere it kills root alone.
func KillSandbox(root int, marker string) int {
	found := StopSandbox(root, marker)
	for _, pid := range found {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return len(found)
}

// StopSandbox SIGSTOPs every process of an execution environment and
// returns their ids: the process root and everything descended from it,
// and every process whose initial environment holds marker (a KEY=VALUE
// unique to the environment, such as its AWS_LAMBDA_RUNTIME_API address) —
// which also catches daemons that left the process group and were
// reparented. Each process found is stopped before the next scan, so none
// escapes by forking meanwhile. The caller's own process and its ancestors
// are never touched. ContinueSandbox resumes them.
func StopSandbox(root int, marker string) []int {
	spare := map[int]bool{}
	for pid := os.Getpid(); pid > 1; pid = ParentOf(pid) {
		spare[pid] = true
	}
	found := map[int]bool{}
	var order []int
	stop := func(pid int) {
		found[pid] = true
		order = append(order, pid)
		_ = syscall.Kill(pid, syscall.SIGSTOP) // it may be gone
	}
	if !spare[root] {
		stop(root)
	}
	for {
		grew := false
		for _, pid := range listPids() {
			if found[pid] || spare[pid] {
				continue
			}
			if found[ParentOf(pid)] || (marker != "" && hasEnv(pid, marker)) {
				stop(pid)
				grew = true
			}
		}
		if !grew {
			return order
		}
	}
}

// ContinueSandbox SIGCONTs the processes StopSandbox stopped, in the order
// it stopped them.
func ContinueSandbox(pids []int) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGCONT) // it may be gone
	}
}

// listPids returns the ids of the processes in /proc.
func listPids() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	pids := make([]int, 0, len(entries))
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ParentOf returns pid's parent process id, or 0 if it cannot be read.
func ParentOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// hasEnv reports whether pid's initial environment holds kv exactly.
func hasEnv(pid int, kv string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false // another user's process, or gone
	}
	for _, v := range bytes.Split(b, []byte{0}) {
		if string(v) == kv {
			return true
		}
	}
	return false
}
