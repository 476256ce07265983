package jobs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// runHyper2KVM is the seed's direct mode (auto_convert without daemon_mode) when hyper2kvm is
// installed: it runs
//
//	<hyper2kvm.path> convert --source <ova|ovf|vmdk> --output-dir <output_dir>/<vm> --format <fmt> --log-level info
//
// — the flags of hyper2kvm's daemon unit, applied to one export — streams every line it prints
// into the job log, and fails the stage if it exits non-zero. hyper2kvm converts and registers
// the VM itself.
func (m *Manager) runHyper2KVM(ctx context.Context, j *Job, log hclog.Logger) error {
	out, err := ConfinePath(m.kvm.OutputDir, provider.SafeName(j.Result.VM.Name))
	if err != nil {
		return fmt.Errorf("hyper2kvm.output_dir: %w", err)
	}
	if err := m.hyper2kvmConvert(ctx, j, out, log); err != nil {
		return err
	}
	releaseLogged(out, log)
	return nil
}

// hyper2kvmConvert runs hyper2kvm on the export into out, a directory the job claims first.
func (m *Manager) hyper2kvmConvert(ctx context.Context, j *Job, out string, log hclog.Logger) error {
	if err := m.claimOutputDir(j, out); err != nil {
		return err
	}
	format := m.kvm.DefaultFormat
	if j.Spec.Import != nil && j.Spec.Import.Format != "" {
		format = j.Spec.Import.Format
	}
	cmd := exec.CommandContext(ctx, m.kvm.Hyper2KVM, "convert", "--source", exportSource(j), "--output-dir", out, "--format", format, "--log-level", "info")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	log.Info("running hyper2kvm", "path", m.kvm.Hyper2KVM, "source", exportSource(j), "output_dir", out)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start hyper2kvm: %w", err)
	}
	var wg sync.WaitGroup
	for name, r := range map[string]io.Reader{"stdout": stdout, "stderr": stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				log.Info("hyper2kvm", "stream", name, "line", sc.Text())
			}
		}()
	}
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("hyper2kvm convert: %w", err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("read hyper2kvm's output: %w", err)
	}
	var files []string
	for _, e := range entries {
		if e.Name() != claimFile {
			files = append(files, filepath.Join(out, e.Name()))
		}
	}
	j.Result.Converted = files
	log.Info("hyper2kvm finished", "outputs", len(files))
	return nil
}
