package scheduler

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // time zones work on machines without /usr/share/zoneinfo

	"github.com/robfig/cron/v3"
)

// parseCron accepts standard 5-field expressions and descriptors (@daily, @hourly, @every 15m),
// evaluated in the named time zone (default UTC).
func parseCron(expr, tz string) (cron.Schedule, error) {
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("give the time zone in the timezone field, not in the expression")
	}
	if tz == "" {
		tz = "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return nil, fmt.Errorf("unknown time zone %q", tz)
	}
	s, err := cron.ParseStandard("CRON_TZ=" + tz + " " + expr)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron expression: %w", expr, err)
	}
	return s, nil
}
