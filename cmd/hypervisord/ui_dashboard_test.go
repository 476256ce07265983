package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const (
	uiViewerToken = "ui-viewer-token-0123456789"
	uiAdminToken  = "ui-admin-token-0123456789"
)

// The seed's Pattern 1 from the dashboard: list the simulator's VMs, filter them by tag, open
// one, see the API's error next to the field of a bad form, submit a migration, watch its bar
// reach 100 % and the job complete, and read its log.
func TestDashboardMigratesAVMFromTheInventory(t *testing.T) {
	t.Parallel()
	chromiumPath(t)
	needQemuImg(t)
	needLibvirt(t)
	base, out := t.TempDir(), t.TempDir()
	cfg, vm := kvmConfigWithOwnVMs(base, out, t.TempDir())
	d := startDaemon(t, cfg)
	undefineLater(t, vm)
	b := newBrowser(t, d.url, 1280, 860)

	b.open("#/vms?provider=vsphere")
	b.until("two VMs listed", `document.querySelectorAll('tr[data-vm]').length === 2`, 20*time.Second)
	b.screenshot("inventory")

	// the simulator tags its VMs production, test, production… in name order; typed, and sent
	// with Enter, as from the keyboard alone
	b.run("filter by tag", 10*time.Second, chromedp.Focus(chromedp.CSS(`form[aria-label="Filter VMs"] [data-field="filter.tags"]`)),
		chromedp.KeyEvent("production"), chromedp.KeyEvent(kb.Enter))
	b.until("one production VM", `location.hash.includes('tags=production') && document.querySelectorAll('tr[data-vm]').length === 1`, 20*time.Second)
	listed := eval[string](b, `document.querySelector('tr[data-vm] a').textContent`)
	if listed != vm {
		t.Fatalf("the production VM listed is %q, want %q", listed, vm)
	}

	b.run("open the VM", 20*time.Second, click(`tr[data-vm] a`), chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Migrate to KVM"]`)))
	disks := eval[int](b, `document.querySelectorAll('table[aria-label=Disks] tbody tr').length`)
	if disks != 1 {
		t.Errorf("the VM page lists %d disks, want 1", disks)
	}
	b.screenshot("vm")

	// a path out of export.base_path: the API's message appears next to that field
	const form = "Migrate to KVM"
	b.run("submit a bad form", 10*time.Second, b.fill(form, "export_path", "../outside"), b.submit(form))
	b.until("the field error", `(() => { const el = document.querySelector('form[aria-label="Migrate to KVM"] [data-field=export_path]');
		const msg = document.getElementById(el.getAttribute('aria-describedby').split(' ').pop());
		return el.getAttribute('aria-invalid') === 'true' && !msg.hidden && msg.textContent.length > 0 && document.activeElement === el; })()`, 10*time.Second)
	fieldErr := eval[string](b, `document.querySelector('form[aria-label="Migrate to KVM"] .field-error:not([hidden])').textContent`)
	if !strings.Contains(fieldErr, "export.base_path") && !strings.Contains(fieldErr, "outside") {
		t.Errorf("the field error says %q; want the API's message about the path", fieldErr)
	}
	b.screenshot("form-error")

	b.run("submit the migration", 10*time.Second,
		b.fill(form, "export_path", "p1"), b.fill(form, "import.network", testNetwork),
		b.fill(form, "import.memory_mb", "256"), b.fill(form, "import.vcpus", "1"), b.submit(form))
	b.until("the job page", `location.hash.startsWith('#/jobs/job-') && !!document.querySelector('main [role=progressbar]')`, 15*time.Second)
	b.until("the bar at 100 % and the job completed", `document.querySelector('main [role=progressbar]').getAttribute('aria-valuenow') === '100'
		&& document.querySelector('main .badge').textContent === 'completed'`, 2*time.Minute)
	b.until("the log followed to the import", `document.querySelector('pre.log').textContent.includes('stage=importing')`, 20*time.Second)
	b.screenshot("job")
	b.run("scroll to the log", 5*time.Second, chromedp.ScrollIntoView(chromedp.CSS("#log")))
	b.screenshot("job-log")
	jobID := eval[string](b, `location.hash.slice('#/jobs/'.length)`)
	job := d.waitJob(jobID)
	if job["status"] != "completed" || job["result"].(map[string]any)["libvirt_domain"] != vm {
		t.Fatalf("the dashboard's job is %v", job)
	}
	if out, err := exec.Command("virsh", "-c", "qemu:///system", "dominfo", vm).CombinedOutput(); err != nil {
		t.Fatalf("the domain the dashboard's job defined is not there: %v %s", err, out)
	}

	b.open("#/jobs")
	b.until("the job listed at 100 %", fmt.Sprintf(`(() => { const r = document.querySelector('tr[data-job=%q]');
		return r && r.querySelector('[role=progressbar]').getAttribute('aria-valuenow') === '100'; })()`, jobID), 10*time.Second)
	b.screenshot("jobs")
}

// With auth on: a token login; an admin watches a slow job's progress live, cancels it,
// retries it, creates and pauses a schedule, adds a webhook and reads the audit log; a viewer
// sees none of the buttons that would answer 403; the pages fit 390 px.
func TestDashboardJobsSchedulesAndRoles(t *testing.T) {
	t.Parallel()
	chromiumPath(t)
	d := startDaemon(t, `
providers:
  testprovider:
    vm_count: 4
    chunk_delay: 400ms
auth:
  enabled: true
  rate_limit: {requests_per_second: 1000, burst: 1000}
  tokens:
    - {name: watcher, role: viewer, token: "`+uiViewerToken+`"}
    - {name: root, role: admin, token: "`+uiAdminToken+`"}
`)
	b := newBrowser(t, d.url, 1280, 860)
	login(b, uiAdminToken, "root (admin)")
	// what the page asks of the API, checked against /openapi.json by the daemon's client
	if code, who := d.as(uiViewerToken, "GET", "/auth/whoami", ""); code != 200 || who["role"] != "viewer" || len(who["allowed"].([]any)) != 0 {
		t.Fatalf("GET /auth/whoami as a viewer = %d %v", code, who)
	}

	// a slow export: 16 chunks of 64 KiB, 400 ms apart
	code, sub := d.as(uiAdminToken, "POST", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vmdk"}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, sub)
	}
	id := sub["job_id"].(string)
	row := fmt.Sprintf(`document.querySelector('tr[data-job=%q]')`, id)
	b.open("#/jobs")
	b.until("live progress on the list", row+` && +`+row+`.querySelector('[role=progressbar]').getAttribute('aria-valuenow') > 0
		&& `+row+`.querySelector('.badge').textContent === 'running'`, 20*time.Second)
	bytes := eval[string](b, row+`.children[6].textContent`)
	if !strings.Contains(bytes, "/ 1.00 MiB") {
		t.Errorf("the row's bytes read %q; want done / total from the progress events", bytes)
	}
	b.screenshot("jobs-running")
	b.run("cancel with the keyboard", 10*time.Second, chromedp.Focus(chromedp.CSS(fmt.Sprintf(`button[aria-label="Cancel %s"]`, id))), chromedp.KeyEvent(kb.Enter))
	b.until("cancelled", row+` && `+row+`.querySelector('.badge').textContent === 'cancelled'`, 20*time.Second)
	if j := waitJobAs(d, uiAdminToken, id); j["status"] != "cancelled" {
		t.Fatalf("job after cancel = %v", j["status"])
	}
	b.run("retry", 10*time.Second, click(fmt.Sprintf(`button[aria-label="Retry %s"]`, id)))
	b.until("the retry's page", `location.hash.startsWith('#/jobs/job-') && !location.hash.endsWith('`+id+`') && !!document.querySelector('main .badge')`, 10*time.Second)
	retry := eval[string](b, `location.hash.slice('#/jobs/'.length)`)
	b.until("the retry's log follows", `document.querySelector('pre.log').textContent.includes('job accepted') || document.querySelector('pre.log').textContent.length > 0`, 20*time.Second)
	if code, _ := d.as(uiAdminToken, "POST", "/jobs/cancel/"+retry, ""); code != 200 {
		t.Errorf("cancel the retry %s = %d", retry, code)
	}

	b.open("#/schedules")
	const sf = "New schedule"
	b.run("create a schedule", 10*time.Second,
		b.fill(sf, "name", "nightly-ui"), b.fill(sf, "cron", "0 3 * * *"), b.fill(sf, "job_definition.vm_identifier", "vm-002"),
		b.fill(sf, "job_definition.export_path", "nightly"), b.submit(sf))
	b.until("the schedule listed", `!!document.querySelector('tr[data-schedule="nightly-ui"]')`, 10*time.Second)
	b.run("pause it", 10*time.Second, click(`button[aria-label="Pause nightly-ui"]`))
	b.until("paused", `(() => { const r = document.querySelector('tr[data-schedule="nightly-ui"]');
		return r && r.querySelector('.badge').textContent === 'paused' && !!r.querySelector('button[aria-label="Resume nightly-ui"]'); })()`, 10*time.Second)
	_, list := d.as(uiAdminToken, "GET", "/schedules", "")
	if s := list["schedules"].([]any); len(s) != 1 || s[0].(map[string]any)["paused"] != true {
		t.Fatalf("schedules after the dashboard paused one: %v", s)
	}
	b.run("a bad cron", 10*time.Second, b.fill(sf, "name", "bad"), b.fill(sf, "cron", "every night"), b.submit(sf))
	b.until("the cron field's error", `document.querySelector('form[aria-label="New schedule"] [data-field=cron]').getAttribute('aria-invalid') === 'true'`, 10*time.Second)
	b.screenshot("schedules")

	b.open("#/webhooks")
	const wf = "New webhook"
	b.run("add a webhook", 10*time.Second, b.fill(wf, "url", "http://127.0.0.1:9/hook"), b.fill(wf, "events", "job.created"), b.submit(wf))
	b.until("the webhook listed", `[...document.querySelectorAll('table[aria-label=Webhooks] td')].some(td => td.textContent === 'http://127.0.0.1:9/hook')`, 10*time.Second)
	// an event for it, which nothing at 127.0.0.1:9 accepts: the page shows the failed attempt
	if code, _ := d.as(uiAdminToken, "POST", "/jobs/submit", `{"vm_identifier":"vm-003","provider":"testprovider","export_method":"vmdk"}`); code != 202 {
		t.Fatalf("submit = %d", code)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b.open("#/webhooks")
		if eval[bool](b, `!!document.querySelector('tr[data-hook] .badge.failed')`) {
			break
		}
		if time.Now().After(deadline) {
			_, hooks := d.as(uiAdminToken, "GET", "/webhooks", "")
			t.Fatalf("the webhook's failed delivery is not shown: page %q, GET /webhooks %v",
				eval[string](b, `document.querySelector('main').textContent`), hooks)
		}
		time.Sleep(300 * time.Millisecond)
	}
	b.screenshot("webhooks")
	b.open("#/audit")
	b.until("the audit log lists the pause", `document.querySelector('main table').textContent.includes('/pause')`, 10*time.Second)
	b.screenshot("audit")
	if code, sum := d.as(uiAdminToken, "GET", "/jobs/summary", ""); code != 200 || sum["by_status"].(map[string]any)["cancelled"] != 2.0 {
		t.Fatalf("GET /jobs/summary = %d %v", code, sum)
	}
	b.open("#/")
	b.until("the overview counts the cancelled jobs", `document.querySelector('.card[data-state=cancelled] .n').textContent !== '0'`, 10*time.Second)
	b.screenshot("overview")

	// a viewer, in its own tab (the token lives in the tab's sessionStorage)
	v := newBrowser(t, d.url, 390, 844)
	v.run("open the sign-in page", 20*time.Second, chromedp.Navigate(v.base+"/ui/#/jobs"), chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Sign in"]`)))
	v.run("a wrong token", 10*time.Second, v.fill("Sign in", "token", "not-a-token"), v.submit("Sign in"))
	v.until("the token field's error", `document.querySelector('[data-field=token]').getAttribute('aria-invalid') === 'true'
		&& document.querySelector('.field-error:not([hidden])').textContent.includes('bearer token')`, 10*time.Second)
	login(v, uiViewerToken, "watcher (viewer)")
	v.open("#/jobs?status=cancelled")
	v.until("the cancelled jobs listed", `document.querySelectorAll('tr[data-job]').length >= 1`, 10*time.Second)
	buttons := eval[int](v, `document.querySelectorAll('main button').length`)
	if buttons != 0 {
		t.Errorf("a viewer's jobs page has %d buttons; every one would answer 403", buttons)
	}
	nav := eval[string](v, `document.getElementById('nav').textContent`)
	if strings.Contains(nav, "Audit") || strings.Contains(nav, "Webhooks") {
		t.Errorf("a viewer's navigation offers admin pages: %q", nav)
	}
	v.open("#/vms/testprovider/vm-001")
	v.until("the VM page without forms", `!!document.querySelector('table[aria-label=Disks]') && !document.querySelector('form')`, 10*time.Second)
	v.open("#/schedules")
	v.until("schedules without buttons", `!!document.querySelector('tr[data-schedule]') && !document.querySelector('main button') && !document.querySelector('main form')`, 10*time.Second)
	for _, page := range []string{"#/", "#/jobs", "#/vms", "#/schedules"} {
		v.open(page)
		if !v.fitsWidth() {
			t.Errorf("%s needs horizontal scrolling at 390 px", page)
		}
	}
	v.open("#/jobs")
	v.screenshot("jobs-390px")
}

// login signs in on the dashboard's token form and waits for the header to name the caller.
func login(b *browser, token, who string) {
	b.t.Helper()
	b.run("open the sign-in page", 20*time.Second, chromedp.Navigate(b.base+"/ui/"), chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Sign in"]`)))
	b.run("sign in", 10*time.Second, b.fill("Sign in", "token", token), b.submit("Sign in"))
	b.until("signed in as "+who, fmt.Sprintf(`document.getElementById('session').textContent.includes(%q) && !!document.querySelector('main h1') && document.querySelector('main h1').textContent === 'Overview'`, who), 10*time.Second)
}

// waitJobAs is waitJob with a token.
func waitJobAs(d *daemon, token, id string) map[string]any {
	d.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		_, j := d.as(token, "GET", "/jobs/query?job_id="+id, "")
		switch j["status"] {
		case "completed", "failed", "cancelled":
			return j
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.t.Fatalf("job %s did not finish", id)
	return nil
}
