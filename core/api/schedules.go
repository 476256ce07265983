package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/scheduler"
)

// ScheduleRequest is the seed's POST /schedules/create body (and PUT /schedules/{id}).
type ScheduleRequest struct {
	Name          string    `json:"name"`
	Cron          string    `json:"cron"`
	TimeZone      string    `json:"timezone"`
	JobDefinition jobs.Spec `json:"job_definition"`
}

// PolicyRequest is the seed's POST /backup-policies/create body.
type PolicyRequest struct {
	Name          string                  `json:"name"`
	Provider      string                  `json:"provider"`
	VMFilter      scheduler.VMFilter      `json:"vm_filter"`
	Schedule      string                  `json:"schedule"`
	TimeZone      string                  `json:"timezone"`
	Retention     scheduler.Retention     `json:"retention"`
	ExportOptions scheduler.ExportOptions `json:"export_options"`
}

func (r ScheduleRequest) schedule() scheduler.Schedule {
	return scheduler.Schedule{Name: r.Name, Cron: r.Cron, TimeZone: r.TimeZone, JobDefinition: r.JobDefinition}
}

func scheduleError(c *gin.Context, err error) {
	var fe *jobs.FieldError
	switch {
	case errors.As(err, &fe):
		abort(c, http.StatusBadRequest, "invalid_field", fe.Error(), fe.Field)
	case errors.Is(err, scheduler.ErrNotFound):
		abort(c, http.StatusNotFound, "not_found", err.Error(), "id")
	default:
		providerError(c, err, "")
	}
}

func (h *handlers) createSchedule(c *gin.Context) {
	var req ScheduleRequest
	if !decodeJSON(c, &req) {
		return
	}
	sc, err := h.Scheduler.CreateSchedule(req.schedule())
	if err != nil {
		scheduleError(c, err)
		return
	}
	c.JSON(http.StatusCreated, sc)
}

func (h *handlers) listSchedules(c *gin.Context) {
	list, err := h.Scheduler.ListSchedules()
	if err != nil {
		scheduleError(c, err)
		return
	}
	if list == nil {
		list = []scheduler.Schedule{}
	}
	c.JSON(http.StatusOK, ScheduleList{Schedules: list})
}

func (h *handlers) getSchedule(c *gin.Context) {
	sc, err := h.Scheduler.GetSchedule(c.Param("id"))
	if err != nil {
		scheduleError(c, err)
		return
	}
	c.JSON(http.StatusOK, sc)
}

func (h *handlers) updateSchedule(c *gin.Context) {
	var req ScheduleRequest
	if !decodeJSON(c, &req) {
		return
	}
	if _, err := h.Scheduler.GetSchedule(c.Param("id")); err != nil {
		scheduleError(c, err)
		return
	}
	sc, err := h.Scheduler.UpdateSchedule(c.Param("id"), req.schedule())
	if err != nil {
		scheduleError(c, err)
		return
	}
	c.JSON(http.StatusOK, sc)
}

func (h *handlers) pauseSchedule(paused bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		sc, err := h.Scheduler.PauseSchedule(c.Param("id"), paused)
		if err != nil {
			scheduleError(c, err)
			return
		}
		c.JSON(http.StatusOK, sc)
	}
}

func (h *handlers) runSchedule(c *gin.Context) {
	id, err := h.Scheduler.RunSchedule(c.Param("id"))
	if err != nil {
		scheduleError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, ScheduleRun{JobID: id, Status: string(jobs.StatusPending)})
}

func (h *handlers) deleteSchedule(c *gin.Context) {
	if err := h.Scheduler.DeleteSchedule(c.Param("id")); err != nil {
		scheduleError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *handlers) createPolicy(c *gin.Context) {
	var req PolicyRequest
	if !decodeJSON(c, &req) {
		return
	}
	p, err := h.Scheduler.CreatePolicy(scheduler.Policy{Name: req.Name, Provider: req.Provider, VMFilter: req.VMFilter,
		Schedule: req.Schedule, TimeZone: req.TimeZone, Retention: req.Retention, ExportOptions: req.ExportOptions})
	if err != nil {
		scheduleError(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

func (h *handlers) listPolicies(c *gin.Context) {
	list, err := h.Scheduler.ListPolicies()
	if err != nil {
		scheduleError(c, err)
		return
	}
	if list == nil {
		list = []scheduler.Policy{}
	}
	c.JSON(http.StatusOK, PolicyList{Policies: list})
}

func (h *handlers) getPolicy(c *gin.Context) {
	p, err := h.Scheduler.GetPolicy(c.Param("id"))
	if err != nil {
		scheduleError(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (h *handlers) runPolicy(c *gin.Context) {
	ids, err := h.Scheduler.RunPolicy(c, c.Param("id"))
	if err != nil {
		scheduleError(c, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	c.JSON(http.StatusAccepted, PolicyRun{JobIDs: ids})
}

func (h *handlers) deletePolicy(c *gin.Context) {
	if err := h.Scheduler.DeletePolicy(c.Param("id")); err != nil {
		scheduleError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
