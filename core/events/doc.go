// Package events is the daemon's one in-process event bus. Jobs, schedules and policies publish;
// three kinds of consumer read, chosen by what losing an event would cost:
//
//   - Record: a durable recorder (the webhook outbox). Publish hands it every event, in order and
//     in batches, and returns only once the recorder has handled the batch holding that event, so
//     an event Publish accepted is on disk before anything else happens. Concurrent publishers
//     share one batch, and so one disk write.
//   - Follow: the daemon's own consumers (the scheduler's job watcher). An unbounded, ordered
//     queue per consumer: a slow consumer falls behind but never loses an event, and Publish
//     never waits for it.
//   - Subscribe: remote clients (the WebSocket). A bounded channel; a client that falls behind
//     is dropped (its channel closed) so it can never slow the publisher or anyone else. Only
//     remote clients may use it: they are told they were dropped and can re-read state.
//
// Publish therefore never waits on a WebSocket client, and waits on a recorder only as long as
// its disk write takes.
//
// A worked example, the way the daemon wires it:
//
//	bus := events.NewBus()
//
//	// webhooks: write each batch to the bbolt outbox before Publish returns
//	stopRecording := bus.Record(func(batch []events.Event) { outbox.Append(batch) })
//	defer stopRecording()
//
//	// scheduler: see every job end, however long retention takes
//	q := bus.Follow(events.JobCompleted, events.JobFailed, events.JobCancelled)
//	defer q.Close()
//	go func() {
//		for {
//			ev, err := q.Next(ctx)
//			if err != nil {
//				return // ctx ended or q closed
//			}
//			applyRetention(ev.JobID)
//		}
//	}()
//
//	// WebSocket client: at most 256 behind, then dropped
//	ch, cancel := bus.Subscribe(256)
//	defer cancel()
//
//	bus.Publish(events.Event{Type: events.JobCompleted, JobID: "job-1"})
//
// Publish must not be called inside a store transaction, nor from a recorder: a recorder writes
// to the store and Publish waits for it.
package events
