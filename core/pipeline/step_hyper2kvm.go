package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"sync"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// hyper2kvmStep hands the export to hyper2kvm in direct mode: hyper2kvm converts it into the
// job's output folder (claimed first) and registers the VM itself.
type hyper2kvmStep struct{}

func (hyper2kvmStep) Run(ctx context.Context, st *State) (int64, error) {
	return 0, runHyper2KVM(ctx, st)
}

// Cleanup removes what hyper2kvm wrote for the job.
func (hyper2kvmStep) Cleanup(st *State) { abandonConversion(st) }

// runHyper2KVM is the seed's direct mode (auto_convert without daemon_mode) when hyper2kvm is
// installed: it runs
//
//	<hyper2kvm.path> convert --source <ova|ovf|vmdk> --output-dir <output_dir>/<vm> --format <fmt> --log-level info
//
// — the flags of hyper2kvm's daemon unit, applied to one export — streams every line it prints
// into the job log, and fails the stage if it exits non-zero. hyper2kvm converts and registers
// the VM itself.
func runHyper2KVM(ctx context.Context, st *State) error {
	if st.Env.KVM.Hyper2KVM == "" {
		// The plan was made while hyper2kvm was installed; it is gone now, and a retry would
		// not bring it back.
		return fmt.Errorf("%w: hyper2kvm is no longer installed at hyper2kvm.path; submit the job again to convert with the built-in pipeline", provider.ErrUnsupported)
	}
	out, err := ConfinePath(st.Env.KVM.OutputDir, provider.SafeName(st.Result.VM.Name))
	if err != nil {
		return fmt.Errorf("hyper2kvm.output_dir: %w", err)
	}
	if err := hyper2kvmConvert(ctx, st, out); err != nil {
		return err
	}
	releaseLogged(st, out)
	return nil
}

// hyper2kvmConvert runs hyper2kvm on the export into out, a directory the job claims first.
func hyper2kvmConvert(ctx context.Context, st *State, out string) error {
	if err := claim(st, out); err != nil {
		return err
	}
	format := conversionFormat(st)
	cmd := exec.CommandContext(ctx, st.Env.KVM.Hyper2KVM, "convert", "--source", exportSource(st), "--output-dir", out, "--format", format, "--log-level", "info")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	st.Log.Info("running hyper2kvm", "path", st.Env.KVM.Hyper2KVM, "source", exportSource(st), "output_dir", out)
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
				st.Log.Info("hyper2kvm", "stream", name, "line", sc.Text())
			}
		}()
	}
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("hyper2kvm convert: %w", err)
	}
	files, err := outputFiles(out)
	if err != nil {
		return fmt.Errorf("read hyper2kvm's output: %w", err)
	}
	st.Result.Converted = files
	st.Log.Info("hyper2kvm finished", "outputs", len(files))
	return nil
}
