package handoff

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// What became of a manifest, as Locate reads it from the workflow directory.
const (
	StateWaiting    = "waiting"    // in to_be_processed/: hyper2kvm has not taken it (yet)
	StateConverting = "converting" // in processing/, or moved on with its report not yet written
	StateCompleted  = "completed"  // in processed/<date>/ with its report
	StateFailed     = "failed"     // in failed/<date>/ with its error file, or a report saying so
	StateMissing    = "missing"    // nowhere: removed or renamed by someone else
)

// Outcome is where a manifest is and, once hyper2kvm is done with it, what it said.
type Outcome struct {
	State   string
	Path    string   // where the manifest is now
	Report  string   // the .report.json or .error.json, once written
	Error   string   // hyper2kvm's error, for StateFailed
	Outputs []string // converted images hyper2kvm reported, for StateCompleted
}

// Report is what hyper2kvm writes beside a manifest it processed (<name>.report.json): the
// pipeline's report.json (manifest/reporter.py), or {"manifest","status","completed_at"} when the
// pipeline wrote none.
type Report struct {
	Status   string `json:"status"`
	Pipeline *struct {
		Success bool `json:"success"`
	} `json:"pipeline"`
	Artifacts []struct {
		Type string `json:"type"`
		Path string `json:"path"`
	} `json:"artifacts"`
	Errors []struct {
		Stage   string `json:"stage"`
		Message string `json:"message"`
	} `json:"errors"`
}

// ErrorFile is what hyper2kvm writes beside a manifest it failed (<name>.error.json).
type ErrorFile struct {
	JobID        string `json:"job_id"`
	OriginalName string `json:"original_name"`
	FailedAt     string `json:"failed_at"`
	Error        string `json:"error"`
	Exception    string `json:"exception"`
	Status       string `json:"status"`
}

// answerSettle is how long an answer that does not parse may still be being written.
const answerSettle = 10 * time.Second

// maxAnswerBytes bounds the report or error file read: a report lists stages and artifacts.
const maxAnswerBytes = 8 << 20

// Locate finds the manifest of job jobID in the workflow directory dir. hyper2kvm keeps the
// name it was given (<job id>.json) except in processing/, where a name already taken gets a
// _YYYYmmdd_HHMMSS suffix that the file then keeps; processed/ and failed/ are split into date
// folders named when the work ended, which may be days after since (the hand-off) — folders
// dated before the day before since are not read. The folders are read in the order files move
// through them, so a manifest moving meanwhile is seen at least once.
//
// A manifest in processing/ or to_be_processed/ wins over an earlier outcome (it was submitted
// again); among outcomes the newest counts. outputDir (hyper2kvm --output-dir) is where the
// converted images are looked for when hyper2kvm's report names none.
func Locate(dir, jobID, outputDir string, since time.Time) (Outcome, error) {
	name := regexp.MustCompile(`^` + regexp.QuoteMeta(jobID) + `(_[0-9]{8}_[0-9]{6})?\.json$`)
	queued, err := matching(filepath.Join(dir, ToBeProcessed), name)
	if err != nil {
		return Outcome{}, err
	}
	running, err := matching(filepath.Join(dir, Processing), name)
	if err != nil {
		return Outcome{}, err
	}
	oldest := since.AddDate(0, 0, -1).Format("2006-01-02")
	var done []finished
	for _, folder := range []string{Processed, Failed} {
		found, err := dated(filepath.Join(dir, folder), oldest, name)
		if err != nil {
			return Outcome{}, err
		}
		for _, p := range found {
			done = append(done, answerOf(folder, p))
		}
	}
	switch {
	case len(running) > 0:
		return Outcome{State: StateConverting, Path: running[len(running)-1]}, nil
	case len(queued) > 0:
		return Outcome{State: StateWaiting, Path: queued[0]}, nil
	case len(done) == 0:
		return Outcome{State: StateMissing}, nil
	}
	for _, e := range done {
		if e.answer == "" {
			return Outcome{State: StateConverting, Path: e.path}, nil // its answer is being written
		}
	}
	sort.SliceStable(done, func(a, b int) bool { return done[a].at.Before(done[b].at) })
	last := done[len(done)-1]
	out := Outcome{Path: last.path, Report: last.answer}
	// hyper2kvm writes its answer in place (open, json.dump): one that does not parse yet may
	// be half-written. Only one left alone for answerSettle is taken as it is.
	settling := time.Since(last.at) < answerSettle
	if last.folder == Failed {
		e, err := readErrorFile(last.answer)
		if err != nil && settling {
			return Outcome{State: StateConverting, Path: last.path}, nil
		}
		if err != nil {
			return Outcome{}, err
		}
		out.State, out.Error = StateFailed, e.Error
		if out.Error == "" {
			out.Error = "hyper2kvm failed the manifest without saying why (" + last.answer + ")"
		}
		return out, nil
	}
	r, err := readReport(last.answer)
	if err != nil && settling {
		return Outcome{State: StateConverting, Path: last.path}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if msg, failed := r.failure(); failed {
		out.State, out.Error = StateFailed, msg
		return out, nil
	}
	out.State, out.Outputs = StateCompleted, r.outputs()
	if len(out.Outputs) == 0 {
		out.Outputs = imagesIn(outputDir, strings.TrimSuffix(filepath.Base(last.path), ".json"))
	}
	return out, nil
}

// finished is a manifest hyper2kvm moved to processed/ or failed/, with its answer file once written.
type finished struct {
	folder, path, answer string
	at                   time.Time
}

func answerOf(folder, path string) finished {
	suffix := ".report.json"
	if folder == Failed {
		suffix = ".error.json"
	}
	e := finished{folder: folder, path: path}
	if st, err := os.Stat(path + suffix); err == nil && st.Mode().IsRegular() {
		e.answer, e.at = path+suffix, st.ModTime()
	}
	return e
}

// matching lists the files in dir whose names match, sorted; a folder hyper2kvm has not made yet
// holds none.
func matching(dir string, name *regexp.Regexp) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read hyper2kvm workflow folder: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && name.MatchString(e.Name()) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// dated lists the matching files in the date folders of dir (processed/ or failed/) named oldest
// or later.
func dated(dir, oldest string, name *regexp.Regexp) ([]string, error) {
	days, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read hyper2kvm workflow folder: %w", err)
	}
	var out []string
	for _, d := range days {
		if !d.IsDir() || d.Name() < oldest {
			continue
		}
		found, err := matching(filepath.Join(dir, d.Name()), name)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read hyper2kvm's answer: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(&limited{f, maxAnswerBytes})
	if err := dec.Decode(v); err != nil {
		return &AnswerError{Path: path, Err: err}
	}
	return nil
}

// AnswerError is a report or error file of hyper2kvm's that cannot be read as the JSON it
// writes: the manifest's fate is unknown, and no later look will change that.
type AnswerError struct {
	Path string
	Err  error
}

func (e *AnswerError) Error() string {
	return fmt.Sprintf("hyper2kvm's answer %s is not the JSON it writes: %v", e.Path, e.Err)
}

func (e *AnswerError) Unwrap() error { return e.Err }

func readErrorFile(path string) (ErrorFile, error) {
	var e ErrorFile
	return e, readJSON(path, &e)
}

func readReport(path string) (Report, error) {
	var r Report
	return r, readJSON(path, &r)
}

// failure reports a report that says the pipeline did not succeed.
func (r Report) failure() (string, bool) {
	if r.Status != "" && r.Status != StateCompleted || r.Pipeline != nil && !r.Pipeline.Success {
		var msgs []string
		for _, e := range r.Errors {
			msgs = append(msgs, e.Stage+": "+e.Message)
		}
		if len(msgs) == 0 {
			msgs = []string{"hyper2kvm's report says the pipeline did not succeed"}
		}
		return strings.Join(msgs, "; "), true
	}
	return "", false
}

// outputs are the converted disks the report lists.
func (r Report) outputs() []string {
	var out []string
	for _, a := range r.Artifacts {
		if a.Path != "" && (a.Type == "converted_disk" || a.Type == "") {
			out = append(out, a.Path)
		}
	}
	return out
}

// imagesIn finds converted images in <outputDir>/<date>/<stem>/, where the workflow daemon has
// the pipeline write; its work/ folder is not output.
func imagesIn(outputDir, stem string) []string {
	if outputDir == "" {
		return nil
	}
	var out []string
	for _, ext := range []string{"qcow2", "raw", "vdi", "img"} {
		found, _ := filepath.Glob(filepath.Join(outputDir, "*", stem, "*."+ext))
		out = append(out, found...)
	}
	sort.Strings(out)
	return out
}

// limited is io.LimitReader that fails instead of stopping short.
type limited struct {
	f *os.File
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("larger than %d bytes", maxAnswerBytes)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}
