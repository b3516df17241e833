package dist_test

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"fmt"
	"strings"
	"testing"
)

// elfMachines and machoCPUs are the GOARCHes the wheels carry.
var (
	elfMachines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	machoCPUs   = map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}
)

// checkCommand checks the djfront command of p's wheel.
func checkCommand(t *testing.T, name string, b []byte, p platform) {
	t.Helper()
	switch p.goos {
	case "linux":
		checkELF(t, name, b, p.goarch)
	case "darwin":
		checkMachO(t, name, b, p)
	default:
		t.Fatalf("no check for GOOS %s", p.goos)
	}
}

// checkELF checks that b is a 64-bit ELF executable for goarch with no
// program interpreter: static, so that it runs on any glibc or musl (the
// manylinux and musllinux tags) and on Lambda's provided.al2023.
func checkELF(t *testing.T, name string, b []byte, goarch string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Errorf("%s: not ELF: %v", name, err)
		return
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elfMachines[goarch] || f.Type != elf.ET_EXEC {
		t.Errorf("%s: %v %v %v, want ELFCLASS64 %v ET_EXEC", name, f.Class, f.Machine, f.Type, elfMachines[goarch])
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Errorf("%s: has a program interpreter: dynamically linked, want static (CGO_ENABLED=0)", name)
		}
	}
}

// Mach-O load commands that carry the minimum macOS version.
const (
	lcVersionMinMacOSX = 0x24 // version at offset 8
	lcBuildVersion     = 0x32 // platform at 8, minos at 12
)

// checkMachO checks that b is a Mach-O executable for p's GOARCH that runs
// on the macOS version of p's tag (macosx_MAJOR_MINOR_ARCH) or later.
func checkMachO(t *testing.T, name string, b []byte, p platform) {
	t.Helper()
	f, err := macho.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Errorf("%s: not Mach-O: %v", name, err)
		return
	}
	if f.Type != macho.TypeExec || f.Cpu != machoCPUs[p.goarch] {
		t.Errorf("%s: %v %v, want an executable for %v", name, f.Type, f.Cpu, machoCPUs[p.goarch])
	}
	var minOS uint32
	for _, l := range f.Loads {
		raw := l.Raw()
		switch f.ByteOrder.Uint32(raw) {
		case lcVersionMinMacOSX:
			minOS = f.ByteOrder.Uint32(raw[8:])
		case lcBuildVersion:
			minOS = f.ByteOrder.Uint32(raw[12:])
		}
	}
	var major, minor uint32
	var arch string
	if _, err := fmt.Sscanf(strings.ReplaceAll(p.tags[0], "_", " "), "macosx %d %d %s", &major, &minor, &arch); err != nil {
		t.Fatalf("tag %s: %v", p.tags[0], err)
	}
	// Versions are encoded xxxx.yy.zz in nibbles: major<<16 | minor<<8 | patch.
	if minOS == 0 || minOS > major<<16|minor<<8 {
		t.Errorf("%s: needs macOS %d.%d, but the wheel's tag %s says %d.%d",
			name, minOS>>16, minOS>>8&0xff, p.tags[0], major, minor)
	}
}
