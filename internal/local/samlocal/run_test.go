package samlocal_test

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/samlocal"
)

// foreignMachine is an ELF machine other than this one's.
func foreignMachine() elf.Machine {
	if runtime.GOARCH == "arm64" {
		return elf.EM_X86_64
	}
	return elf.EM_AARCH64
}

// writeELF writes a minimal 64-bit little-endian ELF executable header for
// machine to path, mode 0755: enough for debug/elf, never run.
func writeELF(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	h := elf.Header64{Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT), Ehsize: 64}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	var b strings.Builder
	if err := binary.Write(&b, binary.LittleEndian, h); err != nil {
		t.Fatal(err)
	}
	write(t, path, b.String(), 0o755)
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// artifacts makes a djfront artifacts directory of version under dir, with
// the Lambda binaries built for another machine, as the wheel's are here,
// and returns its path.
func artifacts(t *testing.T, dir, version string) string {
	t.Helper()
	a := filepath.Join(dir, "_artifacts")
	write(t, filepath.Join(a, "VERSION"), version+"\n", 0o644)
	writeELF(t, filepath.Join(a, "invalidate", "bootstrap"), foreignMachine())
	writeELF(t, filepath.Join(a, "layer", "djfront", "hostforward"), foreignMachine())
	write(t, filepath.Join(a, "layer", "djfront-wrapper"), "#!/bin/sh\nexec \"${0%/*}/djfront/hostforward\"\n", 0o755)
	return a
}

// readTemplate writes a template of two functions on the artifacts dir to
// dir and reads it: Invalidate (provided.al2023, prebuilt) and App
// (python3.12 with the artifacts' layer, its wrapper set).
func readTemplate(t *testing.T, dir, artifacts string) *samlocal.Template {
	t.Helper()
	write(t, filepath.Join(dir, "template.yaml"), `Resources:
  Invalidate:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: `+filepath.Join(artifacts, "invalidate")+`
      Runtime: provided.al2023
      Handler: bootstrap
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: `+filepath.Join(artifacts, "layer")+`
  App:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Runtime: python3.12
      Handler: mysite.wsgi.application
      Layers: [!Ref Layer]
      Environment:
        Variables:
          AWS_LAMBDA_EXEC_WRAPPER: /opt/djfront-wrapper
`, 0o644)
	tpl, err := samlocal.ReadTemplate(filepath.Join(dir, "template.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// TestPrepareStandIn: a prebuilt Lambda binary runs as it is when it can,
// and djfront's artifacts built for another machine run as the djfront
// command's `__lambda NAME`, of the same version only.
func TestPrepareStandIn(t *testing.T) {
	self := filepath.Join(t.TempDir(), "it's", "djfront")
	tests := []struct {
		name       string
		setup      func(t *testing.T, code string) // writes code/bootstrap
		self, ver  string
		wantScript string // in the stand-in; "" when the bootstrap runs as it is
		wantErr    string
	}{
		{name: "djfront's, for another machine", self: self, ver: "1.2.3",
			wantScript: "exec '" + strings.ReplaceAll(self, "'", `'\''`) + "' __lambda invalidate\n"},
		{name: "djfront's of another version", self: self, ver: "1.2.4", wantErr: "is djfront 1.2.3's, and this djfront is 1.2.4"},
		{name: "djfront's, no djfront command", wantErr: "it is djfront's invalidate, which the djfront command runs"},
		{name: "another project's, for another machine", self: self, ver: "1.2.3",
			setup:   func(t *testing.T, code string) { os.Remove(filepath.Join(filepath.Dir(code), "VERSION")) },
			wantErr: "built for " + foreignMachine().String()},
		{name: "for this machine", self: self, ver: "1.2.3", setup: func(t *testing.T, code string) {
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(exe)
			write(t, filepath.Join(code, "bootstrap"), string(b), 0o755)
		}},
		{name: "a script", setup: func(t *testing.T, code string) {
			write(t, filepath.Join(code, "bootstrap"), "#!/bin/sh\necho hi\n", 0o755)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := artifacts(t, dir, "1.2.3")
			if tt.setup != nil {
				tt.setup(t, filepath.Join(a, "invalidate"))
			}
			tpl := readTemplate(t, dir, a)
			h := &samlocal.Host{Dir: filepath.Join(dir, "run"), Self: tt.self, SelfVersion: tt.ver}
			got, err := h.Prepare(t.Context(), tpl, tpl.Functions["Invalidate"], []string{"A=1"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Prepare error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Env) != 0 {
				t.Errorf("Env = %q, want nothing added", got.Env)
			}
			if tt.wantScript == "" {
				if want := filepath.Join(a, "invalidate", "bootstrap"); got.Binary != want {
					t.Errorf("Binary = %s, want the prebuilt %s", got.Binary, want)
				}
				return
			}
			b, err := os.ReadFile(got.Binary)
			if err != nil || !strings.HasSuffix(string(b), tt.wantScript) || !strings.HasPrefix(string(b), "#!/bin/sh\n") {
				t.Errorf("stand-in %s = %q (%v), want a script ending %q", got.Binary, b, err, tt.wantScript)
			}
		})
	}
}

// TestPreparePython: a python3.12 function runs under the Python runtime's
// stand-in with the given interpreter, in its CodeUri as the task root, its
// layer in a local /opt (djfront's hostforward there as the command's
// stand-in) and the exec wrapper pointed at it; the stand-in hands over to
// the wrapper with the runtime client's command as its arguments.
func TestPreparePython(t *testing.T) {
	dir := t.TempDir()
	tpl := readTemplate(t, dir, artifacts(t, dir, "1.2.3"))
	python := filepath.Join(t.TempDir(), "venv dir", "bin", "python")
	h := &samlocal.Host{Dir: filepath.Join(dir, "run"), Python: python, Self: "/usr/bin/djfront", SelfVersion: "1.2.3"}
	fn := tpl.Functions["App"]
	got, err := h.Prepare(t.Context(), tpl, fn, fn.Environ(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	opt := filepath.Join(dir, "run", "App", "opt")
	want := []string{
		"LAMBDA_TASK_ROOT=" + dir,
		"LAMBDA_RUNTIME_DIR=" + filepath.Dir(got.Binary),
		"_HANDLER=mysite.wsgi.application",
		"AWS_EXECUTION_ENV=AWS_Lambda_python3.12",
		"PATH=" + filepath.Dir(python) + ":/usr/local/bin:/usr/bin:/bin:" + filepath.Join(opt, "bin"),
		"PYTHONDONTWRITEBYTECODE=1",
		"AWS_LAMBDA_EXEC_WRAPPER=" + filepath.Join(opt, "djfront-wrapper"),
	}
	if !slices.Equal(got.Env, want) {
		t.Errorf("Env =\n%q\nwant\n%q", got.Env, want)
	}
	if b, _ := os.ReadFile(filepath.Join(opt, "djfront", "hostforward")); !strings.HasSuffix(string(b), "exec '/usr/bin/djfront' __lambda hostforward\n") {
		t.Errorf("opt/djfront/hostforward = %q, want the stand-in", b)
	}
	if st, err := os.Stat(filepath.Join(opt, "djfront-wrapper")); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("opt/djfront-wrapper: %v %v, want the layer's, executable", st, err)
	}

	// The hand-over: a wrapper that prints where it runs and what it got.
	wrapper := filepath.Join(t.TempDir(), "wrapper")
	write(t, wrapper, "#!/bin/sh\necho \"$PWD|$*\"\n", 0o755)
	cmd := exec.Command(got.Binary)
	cmd.Env = append(fn.Environ(nil, nil), append(got.Env, "AWS_LAMBDA_EXEC_WRAPPER="+wrapper)...)
	out, err := cmd.CombinedOutput()
	if want := dir + "|" + python + " -m awslambdaric mysite.wsgi.application\n"; err != nil || string(out) != want {
		t.Errorf("the runtime's stand-in ran the wrapper: %q (%v), want %q", out, err, want)
	}
}

func TestPrepareRefuses(t *testing.T) {
	dir := t.TempDir()
	tpl := readTemplate(t, dir, artifacts(t, dir, "1.2.3"))
	app := tpl.Functions["App"]
	for _, tt := range []struct {
		name    string
		fn      samlocal.Function
		python  string
		wantErr string
	}{
		{"another runtime", samlocal.Function{LogicalID: "F", Runtime: "nodejs22.x"}, "python3", `runtime "nodejs22.x": only provided.* and python3.*`},
		{"no interpreter", *app, "", "no Python interpreter given"},
		{"a layer by ARN", samlocal.Function{LogicalID: "F", Runtime: "python3.12", Layers: []string{"arn:aws:lambda:x"}}, "python3",
			"layer arn:aws:lambda:x: only the template's own layers"},
		{"no wrapper, no runtime client", samlocal.Function{LogicalID: "F", Runtime: "python3.12"}, "/nonexistent/python3", "pip install awslambdaric"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &samlocal.Host{Dir: t.TempDir(), Python: tt.python}
			if _, err := h.Prepare(t.Context(), tpl, &tt.fn, nil); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Prepare error %v, want %q", err, tt.wantErr)
			}
		})
	}
}
