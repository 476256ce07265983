package scheduler

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// minEvery is the shortest @every interval: cron's own granularity. robfig/cron rounds any
// shorter one — 0s, 1ns, even -1m — up to one second, which submitted a job every second.
const minEvery = time.Minute

// firstRun returns the first time c fires after now. It refuses a timetable that fires more
// often than once a minute, or never: a day its month does not have ("0 0 30 2 *"), for which
// robfig/cron gives the zero time once it has searched five years ahead.
func firstRun(c cron.Schedule, expr string, now time.Time) (time.Time, error) {
	if d, ok := c.(cron.ConstantDelaySchedule); ok && d.Delay < minEvery {
		return time.Time{}, fmt.Errorf("%q fires more often than once a minute, cron's granularity; the shortest interval is @every 1m", expr)
	}
	next := c.Next(now)
	if next.IsZero() {
		return time.Time{}, fmt.Errorf("%q never fires: no date matches it (a day its month does not have?)", expr)
	}
	return next, nil
}

// neverDue reports a schedule or policy whose stored next run is the zero time: its expression
// never fires (stored before create refused such ones). The loop must skip it, or it would fire
// it at every pass and take the zero time for the soonest run, waiting its longest for the rest.
// It logs each one the first time the loop meets it, not at every pass.
func (s *Scheduler) neverDue(kind, id, name, expr string, next *time.Time) bool {
	key := kind + ":" + id
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	if next == nil || !next.IsZero() {
		delete(s.neverFires, key)
		return false
	}
	if !s.neverFires[key] {
		s.neverFires[key] = true
		s.log.Warn("not firing a "+kind+" whose expression never fires; change or delete it", kind, name, "id", id, "cron", expr)
	}
	return true
}
